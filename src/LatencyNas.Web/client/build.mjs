// Bundles chart-library.js into dist/: the entry, the WebGL scatter it loads on demand, and the code they share.
// dist/ is emptied first, so no chunk of an earlier build is left to be embedded.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['chart-library.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  outdir: 'dist',
  chunkNames: 'chart-shared-[hash]',
  define: { global: 'window', 'define.amd': 'false' },
  loader: { '.css': 'empty' },
  logLevel: 'warning',
});
