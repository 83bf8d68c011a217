<#
.SYNOPSIS
    Profiles architectures on a device into the profile store: `latnas profile` for PowerShell users.

.DESCRIPTION
    Every argument goes to `latnas profile` unchanged, so this script takes exactly what the command
    takes (see `./run-profile.ps1 --help`) and never drifts from it; it exits with the command's exit
    code (0 success, 1 a failed run, 2 bad input). Run it again to resume an interrupted profile.

.EXAMPLE
    ./run-profile.ps1 --device ort-cpu-1t --count 200 --seed 0
.EXAMPLE
    ./run-profile.ps1 --device devices/torch-cpu-1t.json --archs my-archs.txt --store profiles/lab.db
#>
& dotnet run -c Release --project (Join-Path $PSScriptRoot 'src/LatencyNas.Cli') -- profile @args
exit $LASTEXITCODE
