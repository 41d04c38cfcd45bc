# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Windows facts of azure_backup.snapshot_doctor.diagnose, run once per host by ansible.windows.win_powershell.
#
# READ-ONLY: it reads services, the registry, files, event logs, CIM classes and the output of sc.exe,
# netsh and vssadmin, and opens TCP/TLS connections to the probed endpoints. It changes nothing.
# BOUNDED: the sections run concurrently in a runspace pool under one deadline, every external command
# is killed at its timeout, every CIM query carries -OperationTimeoutSec, every event query -MaxEvents,
# and the probes all run concurrently under one probe deadline.
# RAW: it returns one hashtable of observations ({result = ok|skip|error, message, ...data}); every
# judgement (parsing command output, matching events, comparing versions) happens on the controller
# (plugins/plugin_utils/windows/facts.py and the rules).
# (A mandatory array parameter refuses an empty list unless it allows one: the run may empty these two.)
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)][string[]]$Gather,
    [Parameter(Mandatory = $true)][string]$Wireserver,
    [Parameter(Mandatory = $true)][AllowEmptyCollection()][int[]]$WireserverPorts,
    [Parameter(Mandatory = $true)][string]$Imds,
    [Parameter(Mandatory = $true)][int]$ImdsPort,
    [Parameter(Mandatory = $true)][AllowEmptyCollection()][string[]]$HttpsEndpoints,
    [string[]]$Overridden = @(),
    [string]$Proxy,
    [bool]$AssumeAzure = $false,
    [double]$ProbeTimeout = 5,
    [double]$CommandTimeout = 10,
    [int]$LogTailKib = 256,
    [int]$LoadSamples = 3,
    [double]$LoadInterval = 1,
    [string]$AzureAssetTag = '7783-7084-3265-9085',
    [string]$AzureManufacturer = 'Microsoft Corporation',
    [string]$AzureModel = 'Virtual Machine'
)

$Ansible.Changed = $false
$ProgressPreference = 'SilentlyContinue'

# Helpers shared by every section; each section runs in a runspace of its own, so they are sent as text.
$Helpers = {
    function Ok([hashtable]$Data = @{}) { $Data['result'] = 'ok'; $Data }
    function Err([string]$Message, [hashtable]$Data = @{}) { $Data['result'] = 'error'; $Data['message'] = $Message; $Data }
    function Skipped([string]$Message) { @{ result = 'skip'; message = $Message } }
    function Limit-Text([string]$Text, [int]$Max) { if ($Text.Length -gt $Max) { $Text.Substring(0, $Max) } else { $Text } }
    function ConvertTo-Utc($Value) { if ($null -eq $Value) { return $null }; ([datetime]$Value).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }

    # The values of one registry key as a hashtable; exists = $false when the key is absent.
    function Get-RegistryValues([string]$Path, [string[]]$Names) {
        try {
            if (-not (Test-Path -LiteralPath $Path)) { return Ok @{ path = $Path; exists = $false; values = @{} } }
            $item = Get-ItemProperty -LiteralPath $Path -ErrorAction Stop
            $values = @{}
            foreach ($property in $item.PSObject.Properties) {
                if ($property.Name -like 'PS*') { continue }
                if ($Names -and $Names -notcontains $property.Name) { continue }
                $value = $property.Value
                if ($value -is [byte[]]) { $value = [Convert]::ToBase64String($value) }
                $values[$property.Name] = $value
            }
            Ok @{ path = $Path; exists = $true; values = $values }
        } catch { Err $_.Exception.Message @{ path = $Path } }
    }

    # An external command, killed at its timeout; output as text (never parsed here).
    function Invoke-Bounded([string]$FilePath, [string]$Arguments, [double]$TimeoutSeconds) {
        $info = [System.Diagnostics.ProcessStartInfo]::new()
        $info.FileName = $FilePath
        $info.Arguments = $Arguments
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.CreateNoWindow = $true
        $command = "$FilePath $Arguments"
        try {
            $process = [System.Diagnostics.Process]::Start($info)
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit([int]($TimeoutSeconds * 1000))) {
                $process.Kill()
                return Err ('{0}: timed out after {1} s' -f $command, $TimeoutSeconds) @{ command = $command }
            }
            Ok @{ command = $command; rc = $process.ExitCode; output = $stdout.Result; stderr = $stderr.Result }
        } catch { Err ('{0}: {1}' -f $command, $_.Exception.Message) @{ command = $command } }
    }

    function Get-Cim([string]$Class, [string]$Filter, [double]$TimeoutSeconds) {
        $arguments = @{ ClassName = $Class; OperationTimeoutSec = [int][math]::Ceiling($TimeoutSeconds); ErrorAction = 'Stop' }
        if ($Filter) { $arguments['Filter'] = $Filter }
        Get-CimInstance @arguments
    }

    # A service as the service control manager knows it: present, state, start mode, account.
    function Get-ServiceRecord([string]$Name, [double]$TimeoutSeconds) {
        try {
            $service = Get-Cim 'Win32_Service' ("Name='{0}'" -f $Name.Replace("'", "''")) $TimeoutSeconds
            if (-not $service) { return Ok @{ name = $Name; present = $false } }
            Ok @{ name = $service.Name; present = $true; display_name = $service.DisplayName; state = [string]$service.State
                start_mode = [string]$service.StartMode; start_name = $service.StartName; path_name = $service.PathName }
        } catch { Err $_.Exception.Message @{ name = $Name } }
    }

    # Events of the last $Hours hours, newest first, at most $Max: id, time, provider, its properties as text.
    function Get-RecentEvents([hashtable]$Filter, [int]$Hours, [int]$Max) {
        $Filter['StartTime'] = (Get-Date).AddHours(-$Hours)
        try {
            $events = @(Get-WinEvent -FilterHashtable $Filter -MaxEvents $Max -ErrorAction Stop)
        } catch {
            # Get-WinEvent reports "no events" as an error; that is an empty answer.
            if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return Ok @{ events = @(); hours = $Hours; max = $Max } }
            # A log that does not exist on this edition (AppLocker's) holds no event either.
            if ($_.FullyQualifiedErrorId -like 'NoMatchingLogsFound*') { return Ok @{ events = @(); hours = $Hours; max = $Max; log_missing = $true } }
            return Err $_.Exception.Message
        }
        # ($Event is an automatic variable of PowerShell: the loop uses another name.)
        $records = foreach ($entry in $events) {
            @{ id = $entry.Id; log = $entry.LogName; provider = $entry.ProviderName; time_utc = ConvertTo-Utc $entry.TimeCreated
               properties = @($entry.Properties | Select-Object -First 8 | ForEach-Object { [string]$_.Value })
               message = Limit-Text (([string]$entry.Message) -replace '\s+', ' ') 400 }
        }
        Ok @{ events = @($records); hours = $Hours; max = $Max }
    }

    function Get-FileVersion([string]$Path) {
        try {
            if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return Ok @{ path = $Path; exists = $false } }
            $info = (Get-Item -LiteralPath $Path -ErrorAction Stop).VersionInfo
            Ok @{ path = $Path; exists = $true; file_version = $info.FileVersion; product_version = $info.ProductVersion }
        } catch { Err $_.Exception.Message @{ path = $Path } }
    }

    # The last $MaxBytes of a text file, opened for reading while the agent keeps writing it.
    function Get-FileTail([string]$Path, [int]$MaxBytes) {
        if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return Ok @{ path = $Path; exists = $false } }
        try {
            $stream = [System.IO.FileStream]::new($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)
            try {
                $size = $stream.Length
                $start = [math]::Max(0, $size - $MaxBytes)
                [void]$stream.Seek($start, [System.IO.SeekOrigin]::Begin)
                $buffer = [byte[]]::new($size - $start)
                $read = $stream.Read($buffer, 0, $buffer.Length)
            } finally { $stream.Dispose() }
            Ok @{ path = $Path; exists = $true; size = $size; tail_bytes = $read; text = [System.Text.Encoding]::UTF8.GetString($buffer, 0, $read) }
        } catch { Err $_.Exception.Message @{ path = $Path } }
    }

    # Script blocks run concurrently in a runspace pool; whatever is not done at the deadline is reported as timed out.
    function Invoke-Concurrently([object[]]$Jobs, [double]$TimeoutSeconds) {
        $pool = [runspacefactory]::CreateRunspacePool(1, [math]::Max(1, $Jobs.Count))
        $pool.Open()
        $running = foreach ($job in $Jobs) {
            $shell = [powershell]::Create()
            $shell.RunspacePool = $pool
            [void]$shell.AddScript($job.script).AddArgument($job.argument)
            @{ job = $job; shell = $shell; handle = $shell.BeginInvoke() }
        }
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
        $results = @{}
        foreach ($item in $running) {
            $left = [math]::Max(0, ($deadline - [datetime]::UtcNow).TotalMilliseconds)
            if ($item.handle.AsyncWaitHandle.WaitOne([int]$left)) {
                try {
                    $output = $item.shell.EndInvoke($item.handle)
                    if ($output.Count) { $results[$item.job.name] = $output[$output.Count - 1] }
                    else { $results[$item.job.name] = Err ('{0} returned nothing: {1}' -f $item.job.name, ($item.shell.Streams.Error | Select-Object -First 1)) }
                } catch { $results[$item.job.name] = Err ('{0} failed: {1}' -f $item.job.name, $_.Exception.Message) }
                $item.shell.Dispose()
            } else {
                [void]$item.shell.BeginStop($null, $null)
                $results[$item.job.name] = Err ('{0} timed out after {1} s' -f $item.job.name, $TimeoutSeconds) @{ timed_out = $true }
            }
        }
        # Close without waiting: a runspace still stuck at the deadline must not hold the script.
        [void]$pool.BeginClose($null, $null)
        $results
    }
}

# -- sections: each reads $p (the parameters) and returns one hashtable. The runner puts param($p) and the
# helpers in front of each (a param block must come first in a script), so the blocks declare no param. ------------
$Sections = [ordered]@{}

$Sections['platform'] = {
    $t = $p.CommandTimeout
    $smbios = try {
        $enclosure = @(Get-Cim 'Win32_SystemEnclosure' $null $t)[0]
        $system = Get-Cim 'Win32_ComputerSystem' $null $t
        Ok @{ smbios_asset_tag = $enclosure.SMBIOSAssetTag; manufacturer = $system.Manufacturer; model = $system.Model }
    } catch { Err $_.Exception.Message }
    $os = try {
        $info = Get-Cim 'Win32_OperatingSystem' $null $t
        Ok @{ caption = $info.Caption; version = $info.Version; build = $info.BuildNumber; architecture = $info.OSArchitecture }
    } catch { Err $_.Exception.Message }
    $tlsNames = @('SchUseStrongCrypto', 'SystemDefaultTlsVersions')
    Ok @{
        smbios = $smbios
        os = $os
        powershell = $PSVersionTable.PSVersion.ToString()
        dotnet_tls = Ok @{
            x64 = Get-RegistryValues 'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' $tlsNames
            x86 = Get-RegistryValues 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319' $tlsNames
        }
    }
}

$Sections['agent'] = {
    $t = $p.CommandTimeout
    $services = @{}
    $failure = @{}
    $failureRegistry = @{}
    foreach ($name in @('WindowsAzureGuestAgent', 'RdAgent')) {
        $services[$name] = Get-ServiceRecord $name $t
        # The registry value is the same in every language; sc.exe's action text is localized (the fallback).
        $failureRegistry[$name] = Get-RegistryValues "HKLM:\SYSTEM\CurrentControlSet\Services\$name" @('FailureActions')
        $failure[$name] = Invoke-Bounded "$env:SystemRoot\System32\sc.exe" "qfailure $name" $t
    }
    $guestAgents = @(Get-ChildItem -LiteralPath 'C:\WindowsAzure' -Directory -Filter 'GuestAgent_*' -ErrorAction SilentlyContinue |
        Sort-Object LastWriteTimeUtc | ForEach-Object { Get-FileVersion (Join-Path $_.FullName 'WindowsAzureGuestAgent.exe') })
    $certificates = try {
        $found = @(Get-ChildItem -Path 'Cert:\LocalMachine\My' -ErrorAction Stop | Where-Object {
            $_.FriendlyName -eq 'TenantEncryptionCert' -or $_.Subject -like '*Windows Azure CRP Certificate Generator*' })
        Ok @{ store = 'Cert:\LocalMachine\My'; items = @($found | ForEach-Object {
            @{ subject = $_.Subject; friendly_name = $_.FriendlyName; thumbprint = $_.Thumbprint
               not_before_utc = ConvertTo-Utc $_.NotBefore; not_after_utc = ConvertTo-Utc $_.NotAfter; has_private_key = $_.HasPrivateKey } }) }
    } catch { Err $_.Exception.Message }
    Ok @{
        services = $services
        failure_actions = $failure
        failure_actions_registry = $failureRegistry
        registry = Get-RegistryValues 'HKLM:\SOFTWARE\Microsoft\Virtual Machine\Guest' @('GuestAgentVersion', 'DHCPStatus')
        executables = Ok @{ wa_app_agent = Get-FileVersion 'C:\WindowsAzure\Packages\WaAppAgent.exe'; guest_agents = $guestAgents }
        system_events = Get-RecentEvents @{ LogName = 'System'; Id = 7031, 7034 } 24 200
        application_errors = Get-RecentEvents @{ LogName = 'Application'; ProviderName = 'Application Error'; Id = 1000 } 24 200
        log = Get-FileTail 'C:\WindowsAzure\Logs\WaAppAgent.log' ($p.LogTailKib * 1024)
        certificates = $certificates
    }
}

$Sections['extension'] = {
    $t = $p.CommandTimeout
    $root = 'C:\Packages\Plugins\Microsoft.Azure.RecoveryServices.VMSnapshot'
    $handlers = try {
        if (-not (Test-Path -LiteralPath $root)) { Ok @{ path = $root; exists = $false; items = @() } }
        else {
            $items = foreach ($directory in @(Get-ChildItem -LiteralPath $root -Directory -ErrorAction Stop)) {
                $newest = @(Get-ChildItem -LiteralPath (Join-Path $directory.FullName 'Status') -File -Filter '*.status' -ErrorAction SilentlyContinue |
                    Where-Object { $_.BaseName -match '^\d+$' } | Sort-Object { [long]$_.BaseName } | Select-Object -Last 1)
                $status = if (-not $newest) { Ok @{ file = $null } } else {
                    try {
                        if ($newest[0].Length -gt 262144) { Err ('{0}: larger than 262144 bytes' -f $newest[0].FullName) @{ file = $newest[0].FullName } }
                        else { Ok @{ file = $newest[0].FullName; sequence = [long]$newest[0].BaseName; mtime_utc = ConvertTo-Utc $newest[0].LastWriteTimeUtc
                                         text = [System.IO.File]::ReadAllText($newest[0].FullName) } }
                    } catch { Err $_.Exception.Message @{ file = $newest[0].FullName } }
                }
                @{ version = $directory.Name; path = $directory.FullName; status = $status }
            }
            Ok @{ path = $root; exists = $true; items = @($items) }
        }
    } catch { Err $_.Exception.Message @{ path = $root } }
    Ok @{
        handlers = $handlers
        provider_service = Get-ServiceRecord 'IaaSVmProvider' $t
        bcdr_agent = Get-RegistryValues 'HKLM:\SOFTWARE\Microsoft\BcdrAgent' $null
        bcdr_persistent_keys = Get-RegistryValues 'HKLM:\SOFTWARE\Microsoft\BcdrAgentPersistentKeys' $null
        applocker_events = Get-RecentEvents @{ LogName = 'Microsoft-Windows-AppLocker/EXE and DLL'; Id = 8003, 8004 } 24 200
        application_errors = Get-RecentEvents @{ LogName = 'Application'; ProviderName = 'Application Error'; Id = 1000 } 24 200
    }
}

$Sections['snapshot'] = {
    $t = $p.CommandTimeout
    $sql = try {
        $found = @(Get-Cim 'Win32_Service' 'Name=''MSSQLSERVER'' OR Name LIKE ''MSSQL$%''' $t)
        Ok @{ items = @($found | ForEach-Object { @{ name = $_.Name; state = [string]$_.State; start_mode = [string]$_.StartMode } }) }
    } catch { Err $_.Exception.Message }
    $services = @{}
    foreach ($name in @('VSS', 'COMSysApp', 'MSDTC')) { $services[$name] = Get-ServiceRecord $name $t }
    Ok @{
        sql_services = $sql
        bcdr_agent = Get-RegistryValues 'HKLM:\SOFTWARE\Microsoft\BcdrAgent' @('UseVSSCopyBackup', 'UseVssFullBackup')
        vss_writers = Invoke-Bounded "$env:SystemRoot\System32\vssadmin.exe" 'list writers' $t
        services = $services
    }
}

$Sections['dhcp'] = {
    $t = $p.CommandTimeout
    $primary = try {
        $route = @(Get-NetRoute -AddressFamily IPv4 -DestinationPrefix '0.0.0.0/0' -ErrorAction Stop |
            Sort-Object { $_.RouteMetric + $_.InterfaceMetric } | Select-Object -First 1)
        if (-not $route) { Ok @{ interface_index = $null; source = 'default route' } }
        else {
            $interface = Get-NetIPInterface -InterfaceIndex $route[0].InterfaceIndex -AddressFamily IPv4 -ErrorAction Stop
            Ok @{ interface_index = $route[0].InterfaceIndex; interface_alias = $route[0].InterfaceAlias; next_hop = $route[0].NextHop
                      dhcp = [string]$interface.Dhcp; source = 'default route' }
        }
    } catch {
        if ($_.CategoryInfo.Category -eq 'ObjectNotFound') { Ok @{ interface_index = $null; source = 'default route' } }
        else { Err $_.Exception.Message }
    }
    $adapters = try {
        Ok @{ items = @(Get-Cim 'Win32_NetworkAdapterConfiguration' 'IPEnabled = TRUE' $t | ForEach-Object {
            @{ interface_index = $_.InterfaceIndex; description = $_.Description; dhcp_enabled = $_.DHCPEnabled
               ip_address = @($_.IPAddress); dhcp_server = $_.DHCPServer } }) }
    } catch { Err $_.Exception.Message }
    Ok @{ primary_interface = $primary; adapters = $adapters }
}

$Sections['load'] = {
    $t = $p.CommandTimeout
    $cpu = [System.Collections.ArrayList]::new()
    $memory = [System.Collections.ArrayList]::new()
    $queue = [System.Collections.ArrayList]::new()
    # The first read of a formatted counter class can return zeros (no previous sample to cook against): discard it.
    [void](Get-Cim 'Win32_PerfFormattedData_PerfOS_Processor' "Name='_Total'" $t)
    for ($i = 0; $i -lt $p.LoadSamples; $i++) {
        if ($i) { [System.Threading.Thread]::Sleep([int]($p.LoadInterval * 1000)) }
        $processor = Get-Cim 'Win32_PerfFormattedData_PerfOS_Processor' "Name='_Total'" $t
        $system = Get-Cim 'Win32_PerfFormattedData_PerfOS_System' $null $t
        $os = Get-Cim 'Win32_OperatingSystem' $null $t
        [void]$cpu.Add([double]$processor.PercentProcessorTime)
        [void]$queue.Add([int]$system.ProcessorQueueLength)
        [void]$memory.Add(@{ free_kib = [long]$os.FreePhysicalMemory; total_kib = [long]$os.TotalVisibleMemorySize })
    }
    Ok @{ method = 'cim'; samples = $p.LoadSamples; interval_seconds = $p.LoadInterval; cpu_percent = @($cpu)
              processor_queue_length = @($queue); memory = @($memory); cpu_count = [Environment]::ProcessorCount }
}

$Sections['connectivity'] = {
    $t = $p.CommandTimeout
    $localSystem = 'Registry::HKEY_USERS\S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
    $proxy = Ok @{
        winhttp = Invoke-Bounded "$env:SystemRoot\System32\netsh.exe" 'winhttp show proxy' $t
        local_system = Get-RegistryValues $localSystem @('ProxyEnable', 'ProxyServer', 'ProxyOverride', 'AutoConfigURL')
        environment = Ok @{ values = @{
            HTTPS_PROXY = [Environment]::GetEnvironmentVariable('HTTPS_PROXY', 'Machine')
            HTTP_PROXY = [Environment]::GetEnvironmentVariable('HTTP_PROXY', 'Machine')
            NO_PROXY = [Environment]::GetEnvironmentVariable('NO_PROXY', 'Machine') } }
        option = $p.Proxy
    }
    # The proxy the probes go through: the run's, else the one LocalSystem's WinHTTP uses (the agent and the
    # extension run as LocalSystem), else LocalSystem's Internet Settings. The controller judges the sources.
    $via = $null
    if ($p.ContainsKey('Proxy')) { if ($p.Proxy) { $via = @{ value = $p.Proxy; source = 'option' } } }
    elseif ($proxy.winhttp.result -eq 'ok' -and $proxy.winhttp.output -match 'Proxy Server\(s\)\s*:\s*(\S+)') { $via = @{ value = $Matches[1]; source = 'winhttp' } }
    elseif ($proxy.local_system.values.ProxyEnable -eq 1 -and $proxy.local_system.values.ProxyServer) { $via = @{ value = [string]$proxy.local_system.values.ProxyServer; source = 'local_system' } }
    if ($via) {
        # 'http=h:p;https=h2:p2' names one proxy per scheme; a URL may carry a scheme.
        $value = $via.value
        if ($value -match '(?:^|;)https=([^;]+)') { $value = $Matches[1] }
        $value = $value -replace '^[a-z]+://', '' -replace '/.*$', '' -replace '^.*@', ''
        $parts = $value.Split(':')
        $via['host'] = $parts[0]
        $via['port'] = if ($parts.Count -gt 1) { [int]$parts[1] } else { 80 }
    }
    $proxy['via'] = $via

    $tcp = {
        param($a)
        $record = @{ host = $a.host; port = $a.port; ok = $false; error = $null; timed_out = $false }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $task = $client.ConnectAsync($a.host, $a.port)
            if (-not $task.Wait([int]($a.timeout * 1000))) { $record.error = 'timed out'; $record.timed_out = $true }
            else { $record.ok = $true }
        } catch { $record.error = $_.Exception.GetBaseException().Message } finally { $client.Dispose() }
        $record.seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
        $record
    }
    $dns = {
        param($a)
        $record = @{ name = $a.host; ok = $false; addresses = @(); error = $null; timed_out = $false }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try { $record.addresses = @([System.Net.Dns]::GetHostAddresses($a.host) | ForEach-Object { $_.IPAddressToString }); $record.ok = $record.addresses.Count -gt 0 }
        catch { $record.error = $_.Exception.GetBaseException().Message }
        $record.seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
        $record
    }
    $https = {
        param($a)
        $record = @{ host = $a.host; port = $a.port; via = 'direct'; ok = $false; stage = 'tcp'; error = $null; timed_out = $false; tls_version = $null; peer_subject = $null }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $ms = [int]($a.timeout * 1000)
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $target = $a.host; $port = $a.port
            if ($a.proxy) { $record.via = 'proxy'; $target = $a.proxy.host; $port = $a.proxy.port }
            if (-not $client.ConnectAsync($target, $port).Wait($ms)) { throw [TimeoutException]::new('timed out') }
            $stream = $client.GetStream()
            $stream.ReadTimeout = $ms; $stream.WriteTimeout = $ms
            if ($a.proxy) {
                $record.stage = 'proxy_connect'
                $request = [Text.Encoding]::ASCII.GetBytes(('CONNECT {0}:{1} HTTP/1.1{2}Host: {0}:{1}{2}User-Agent: snapshot-doctor-probe{2}{2}' -f $a.host, $a.port, "`r`n"))
                $stream.Write($request, 0, $request.Length)
                $buffer = [byte[]]::new(4096)
                $read = $stream.Read($buffer, 0, $buffer.Length)
                $status = ([Text.Encoding]::ASCII.GetString($buffer, 0, $read) -split "`r`n")[0]
                if ($status -notmatch '^HTTP/1\.[01] 200') { throw ('proxy answered {0}' -f $status) }
            }
            $record.stage = 'tls'
            $ssl = [System.Net.Security.SslStream]::new($stream, $false)
            if (-not $ssl.AuthenticateAsClientAsync($a.host).Wait($ms)) { throw [TimeoutException]::new('timed out') }
            $record.tls_version = [string]$ssl.SslProtocol
            $record.peer_subject = $ssl.RemoteCertificate.Subject
            $record.stage = 'done'; $record.ok = $true
        } catch {
            $record.error = $_.Exception.GetBaseException().Message
            $record.timed_out = $_.Exception.GetBaseException() -is [TimeoutException]
        } finally { $client.Dispose() }
        $record.seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
        $record
    }

    # Azure's own addresses are probed only on an Azure VM (by SMBIOS) unless the run asks for it or overrides them.
    $groups = @{ wireserver = $p.ProbeAzure -or $p.Overridden -contains 'wireserver'; imds = $p.ProbeAzure -or $p.Overridden -contains 'imds'
                 https = $p.ProbeAzure -or $p.Overridden -contains 'https_endpoints' }
    $jobs = [System.Collections.ArrayList]::new()
    if ($groups.wireserver) { foreach ($port in $p.WireserverPorts) { [void]$jobs.Add(@{ name = "wireserver:$port"; script = $tcp.ToString(); argument = @{ host = $p.Wireserver; port = $port; timeout = $p.ProbeTimeout } }) } }
    if ($groups.imds) { [void]$jobs.Add(@{ name = 'imds'; script = $tcp.ToString(); argument = @{ host = $p.Imds; port = $p.ImdsPort; timeout = $p.ProbeTimeout } }) }
    $endpoints = @(foreach ($item in $p.HttpsEndpoints) { $parts = $item.Split(':'); @{ host = $parts[0]; port = $(if ($parts.Count -gt 1) { [int]$parts[1] } else { 443 }) } })
    if ($groups.https) {
        foreach ($endpoint in $endpoints) {
            [void]$jobs.Add(@{ name = "https:$($endpoint.host):$($endpoint.port)"; script = $https.ToString(); argument = @{ host = $endpoint.host; port = $endpoint.port; timeout = $p.ProbeTimeout; proxy = $via } })
        }
        foreach ($name in @($endpoints | ForEach-Object { $_.host } | Select-Object -Unique)) { [void]$jobs.Add(@{ name = "dns:$name"; script = $dns.ToString(); argument = @{ host = $name } }) }
        if ($via) { [void]$jobs.Add(@{ name = 'proxy'; script = $tcp.ToString(); argument = @{ host = $via.host; port = $via.port; timeout = $p.ProbeTimeout } }) }
    }
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $done = if ($jobs.Count) { Invoke-Concurrently $jobs ($p.ProbeTimeout + 1) } else { @{} }
    $elapsed = [math]::Round($watch.Elapsed.TotalSeconds, 3)

    $firewall = try {
        # The CIM cmdlets report "no rule matches" as an ObjectNotFound error: no block rule is an empty list.
        $rules = @(try { Get-NetFirewallRule -Direction Outbound -Action Block -Enabled True -ErrorAction Stop }
                   catch { if ($_.CategoryInfo.Category -ne 'ObjectNotFound') { throw } })
        Ok @{ rules = @($rules | Select-Object -First 200 | ForEach-Object {
            $address = $_ | Get-NetFirewallAddressFilter
            $port = $_ | Get-NetFirewallPortFilter
            $application = $_ | Get-NetFirewallApplicationFilter
            @{ name = $_.Name; display_name = $_.DisplayName; profile = [string]$_.Profile; remote_address = @($address.RemoteAddress)
               protocol = [string]$port.Protocol; remote_port = @($port.RemotePort); program = $application.Program } })
                  profiles = @(Get-NetFirewallProfile -ErrorAction Stop | ForEach-Object { @{ name = $_.Name; enabled = [string]$_.Enabled; default_outbound_action = [string]$_.DefaultOutboundAction } }) }
    } catch { Err $_.Exception.Message }
    $route = try {
        $found = @(Find-NetRoute -RemoteIPAddress $p.Wireserver -ErrorAction Stop)
        $hop = @($found | Where-Object { $_.PSObject.Properties['NextHop'] } | Select-Object -First 1)
        $source = @($found | Where-Object { $_.PSObject.Properties['IPAddress'] } | Select-Object -First 1)
        Ok @{ destination = $p.Wireserver; found = [bool]$hop; interface_alias = $(if ($hop) { $hop[0].InterfaceAlias }); interface_index = $(if ($hop) { $hop[0].InterfaceIndex })
                  next_hop = $(if ($hop) { $hop[0].NextHop }); destination_prefix = $(if ($hop) { $hop[0].DestinationPrefix }); source_address = $(if ($source) { $source[0].IPAddress }) }
    } catch { Err $_.Exception.Message @{ destination = $p.Wireserver } }

    Ok @{
        probe_azure = $p.ProbeAzure
        groups = $groups
        endpoints = @{ wireserver = $p.Wireserver; wireserver_ports = @($p.WireserverPorts); imds = $p.Imds; imds_port = $p.ImdsPort; https = $endpoints; overridden = @($p.Overridden) }
        timeout_seconds = $p.ProbeTimeout
        elapsed_seconds = $elapsed
        probes = $done
        proxy = $proxy
        firewall = $firewall
        route = $route
    }
}

# -- run -----------------------------------------------------------------------------------------------------------
. $Helpers
$parameters = @{}
foreach ($key in $PSBoundParameters.Keys) { $parameters[$key] = $PSBoundParameters[$key] }
foreach ($name in @('ProbeTimeout', 'CommandTimeout', 'LogTailKib', 'LoadSamples', 'LoadInterval', 'AssumeAzure', 'Overridden')) {
    $parameters[$name] = Get-Variable -Name $name -ValueOnly
}
$facts = [ordered]@{ schema = 1; os = 'windows'; gathered_at = [datetime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'); gathered = @($Gather) }

# Platform first: whether Azure's addresses may be probed is decided from SMBIOS before any probe.
$prologue = 'param($p)' + "`n" + $Helpers.ToString() + "`n"
$platform = (Invoke-Concurrently @(@{ name = 'platform'; script = $prologue + $Sections['platform'].ToString(); argument = $parameters }) ($CommandTimeout * 2))['platform']
$facts['platform'] = $platform
$smbios = $platform.smbios
# As identity.azure_by_dmi: the asset tag, and no other value that disagrees.
$isAzure = $platform.result -eq 'ok' -and $smbios.result -eq 'ok' -and $smbios.smbios_asset_tag -eq $AzureAssetTag -and
    ($null -eq $smbios.manufacturer -or $smbios.manufacturer -eq $AzureManufacturer) -and ($null -eq $smbios.model -or $smbios.model -eq $AzureModel)
$parameters['ProbeAzure'] = [bool]($isAzure -or $AssumeAzure)

$jobs = foreach ($name in $Sections.Keys) {
    if ($name -eq 'platform' -or $Gather -notcontains $name) { continue }
    @{ name = $name; script = $prologue + $Sections[$name].ToString(); argument = $parameters }
}
if ($jobs) {
    # A cap, not the usual time: connectivity runs a command, the probes and the firewall queries in turn; load
    # samples for its window. A section still running then is reported as timed out, the others are kept.
    $budget = 2 * $CommandTimeout + $ProbeTimeout + 2 + $LoadSamples * $LoadInterval
    $results = Invoke-Concurrently @($jobs) $budget
    foreach ($name in $Sections.Keys) { if ($results.ContainsKey($name)) { $facts[$name] = $results[$name] } }
}
$facts
