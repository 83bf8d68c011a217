#!/usr/bin/env python3
"""A latency-constrained random search that asks a LatencyNas predictor for latencies.

Two ways to reach the predictor (see docs/python.md):

  --onnx raspi4.onnx          the predictor exported by `latnas predictors export`, run in
                              onnxruntime (pip install onnxruntime numpy); no .NET needed.
  --latnas "latnas predict --device raspi4 --stdin"
                              one `latnas predict --stdin` process kept open for the whole
                              search; needs only the Python standard library.

Architectures are lists of choice indices, one per decision (NB201: six edges with five ops
each, the digits form). The score is a stand-in - replace `score` with your accuracy estimate.
Every evaluated candidate is printed as "<digits> <predicted ms>", then the best under budget.
"""
import argparse
import json
import random
import shlex
import subprocess
import sys


class OnnxPredictor:
    """The exported predictor in ONNX Runtime: int64 [N, decisions] in, float [N] ms out."""

    def __init__(self, path):
        import numpy
        import onnxruntime

        self._numpy = numpy
        self._session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        metadata = self._session.get_modelmeta().custom_metadata_map
        # "name: choice,choice,...; name: ..." - the number of choices of each decision.
        self.choices = [len(d.rsplit(": ", 1)[1].split(",")) for d in metadata["decisions"].split("; ")]
        self.description = f"{metadata['family']} of {metadata['device']} ({metadata['space']})"

    def predict(self, architectures):
        batch = self._numpy.array(architectures, dtype=self._numpy.int64)
        return self._session.run(["latency_ms"], {"architectures": batch})[0].tolist()

    def close(self):
        pass


class StreamingPredictor:
    """One `latnas predict --stdin` process: a line of digits in, a JSON line out."""

    def __init__(self, command, choices):
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.choices = choices
        self.description = " ".join(command)

    def predict(self, architectures):
        latencies = []
        for architecture in architectures:
            self._process.stdin.write("".join(str(c) for c in architecture) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
            if not line:
                raise RuntimeError(f"latnas stopped (exit {self._process.wait()})")
            answer = json.loads(line)
            if "error" in answer:
                raise ValueError(answer["error"])
            latencies.append(answer["predicted_ms"])
        return latencies

    def close(self):
        self._process.stdin.close()
        self._process.wait()


def score(architecture):
    """Stand-in objective: the number of decisions taking their last choices (NB201: 3x3 convs and pools)."""
    return sum(1 for c in architecture if c >= 3)


def search(predictor, budget_ms, candidates, seed, batch=100):
    rng = random.Random(seed)
    best = None
    for start in range(0, candidates, batch):
        architectures = [[rng.randrange(n) for n in predictor.choices] for _ in range(min(batch, candidates - start))]
        for architecture, latency in zip(architectures, predictor.predict(architectures)):
            print("".join(str(c) for c in architecture), repr(latency))
            if latency <= budget_ms and (best is None or (score(architecture), -latency) > (score(best[0]), -best[1])):
                best = (architecture, latency)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    way = parser.add_mutually_exclusive_group(required=True)
    way.add_argument("--onnx", help="an ONNX model written by `latnas predictors export`")
    way.add_argument("--latnas", help="the command that starts `latnas predict ... --stdin`")
    parser.add_argument("--choices", default="5,5,5,5,5,5", help="choices per decision for --latnas (default: NB201)")
    parser.add_argument("--budget-ms", type=float, required=True)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.onnx:
        predictor = OnnxPredictor(args.onnx)
    else:
        predictor = StreamingPredictor(shlex.split(args.latnas), [int(n) for n in args.choices.split(",")])
    try:
        best = search(predictor, args.budget_ms, args.candidates, args.seed)
    finally:
        predictor.close()
    if best is None:
        print(f"nothing under {args.budget_ms} ms among {args.candidates} candidates", file=sys.stderr)
        return 1
    print(f"best under {args.budget_ms} ms: {''.join(str(c) for c in best[0])} at {best[1]:.4f} ms ({predictor.description})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
