<#
.SYNOPSIS
    Profiles architectures on a device into the profile store: a thin wrapper over `latnas profile`.

.DESCRIPTION
    Takes the same parameters as `latnas profile` and passes them on unchanged; exits with its
    exit code (0 success, 1 a failed run, 2 bad input). Run it again to resume an interrupted profile.

.EXAMPLE
    ./run-profile.ps1 -Device ort-cpu-1t -Sample 200 -Seed 0
.EXAMPLE
    ./run-profile.ps1 -Device devices/torch-cpu-1t.json -Archs my-archs.txt -Store profiles/lab.db
#>
[CmdletBinding(DefaultParameterSetName = 'Sample')]
param(
    # Device descriptor file, or the name of a shipped one (ort-cpu-1t, ort-cpu-2t, ort-cpu-1t-noopt, torch-cpu-1t, ort-cuda0).
    [string] $Device = 'ort-cpu-1t',
    [string] $Space = 'nb201',
    [Parameter(ParameterSetName = 'Sample')] [int] $Sample = 100,
    [Parameter(ParameterSetName = 'Sample')] [int] $Seed = 0,
    [Parameter(ParameterSetName = 'All')] [switch] $All,
    [Parameter(ParameterSetName = 'Archs')] [string] $Archs,
    [string] $Store,
    [int] $Session,
    [string] $DeviceName,
    [switch] $RetryFailed,
    [double] $Precision,
    [int] $MaxRuns,
    [double] $MaxSeconds,
    [double] $WarmupSeconds,
    [double] $Timeout,
    [int] $Retries,
    [string] $Configuration = 'Release'
)

$arguments = @('run', '-c', $Configuration, '--project', (Join-Path $PSScriptRoot 'src/LatencyNas.Cli'), '--',
               'profile', '--device', $Device, '--space', $Space)
switch ($PSCmdlet.ParameterSetName) {
    'All'   { $arguments += '--all' }
    'Archs' { $arguments += @('--archs', $Archs) }
    default { $arguments += @('--sample', $Sample, '--seed', $Seed) }
}
if ($Store)                                 { $arguments += @('--store', $Store) }
if ($PSBoundParameters.ContainsKey('Session'))       { $arguments += @('--session', $Session) }
if ($DeviceName)                            { $arguments += @('--device-name', $DeviceName) }
if ($RetryFailed)                           { $arguments += '--retry-failed' }
if ($PSBoundParameters.ContainsKey('Precision'))     { $arguments += @('--precision', $Precision) }
if ($PSBoundParameters.ContainsKey('MaxRuns'))       { $arguments += @('--max-runs', $MaxRuns) }
if ($PSBoundParameters.ContainsKey('MaxSeconds'))    { $arguments += @('--max-seconds', $MaxSeconds) }
if ($PSBoundParameters.ContainsKey('WarmupSeconds')) { $arguments += @('--warmup-seconds', $WarmupSeconds) }
if ($PSBoundParameters.ContainsKey('Timeout'))       { $arguments += @('--timeout', $Timeout) }
if ($PSBoundParameters.ContainsKey('Retries'))       { $arguments += @('--retries', $Retries) }

& dotnet @arguments
exit $LASTEXITCODE
