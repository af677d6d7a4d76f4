package gen

const (
	ms    = "Microsoft Corporation"
	winOS = "Microsoft® Windows® Operating System"
)

// catalog are the common binaries of the background traffic. The last
// three fields weigh how often each runs as System, as a service account
// and as a user.
var catalog = [...]entry{
	{
		"svchost.exe", `c:\windows\system32\svchost.exe`,
		`svchost.exe -k netsvcs -p -s BITS`, "services.exe",
		ms, winOS, "10.0.19041.4355", "Host Process for Windows Services",
		0, 55320, 900000000, 30, 70, 0,
	},
	{
		"MsMpEng.exe",
		`c:\programdata\microsoft\windows defender\platform\4.18.24090.11-0\msmpeng.exe`,
		`"MsMpEng.exe"`, "services.exe",
		ms, winOS, "4.18.24090.11", "Antimalware Service Executable",
		0, 133680, 700000000, 12, 0, 0,
	},
	{
		"MsSense.exe", `c:\program files\windows defender advanced threat protection\mssense.exe`,
		`"MsSense.exe"`, "services.exe",
		ms, winOS, "10.8750.22621.1011",
		"Windows Defender Advanced Threat Protection Service Executable",
		0, 4581928, 300000000, 10, 0, 0,
	},
	{
		"SenseNdr.exe", `c:\program files\windows defender advanced threat protection\sensendr.exe`,
		`"SenseNdr.exe"`, "MsSense.exe",
		ms, winOS, "10.8750.22621.1011",
		"Windows Defender Advanced Threat Protection Network Detection and Response",
		0, 1835048, 250000000, 4, 0, 0,
	},
	{
		"MicrosoftEdgeUpdate.exe", `c:\program files (x86)\microsoft\edgeupdate\microsoftedgeupdate.exe`,
		`"MicrosoftEdgeUpdate.exe" /ua /installsource scheduler`, "svchost.exe",
		ms, "Microsoft Edge Update", "1.3.195.31", "Microsoft Edge Update",
		1, 215424, 600000000, 6, 0, 0,
	},
	{
		"GoogleUpdate.exe", `c:\program files (x86)\google\update\googleupdate.exe`,
		`"GoogleUpdate.exe" /ua /installsource scheduler`, "svchost.exe",
		"Google LLC", "Google Update", "1.3.36.372", "Google Installer",
		2, 160368, 400000000, 3, 0, 0,
	},
	{
		"lsass.exe", `c:\windows\system32\lsass.exe`,
		`C:\Windows\system32\lsass.exe`, "wininit.exe",
		ms, winOS, "10.0.19041.4355", "Local Security Authority Process",
		0, 59456, 900000000, 4, 0, 0,
	},
	{
		"CcmExec.exe", `c:\windows\ccm\ccmexec.exe`,
		`C:\Windows\CCM\CcmExec.exe`, "services.exe",
		ms, "System Center Configuration Manager", "5.0.9106.1022",
		"Host Process for Microsoft Configuration Manager",
		1, 336432, 90000000, 4, 0, 0,
	},
	{
		"OfficeClickToRun.exe",
		`c:\program files\common files\microsoft shared\clicktorun\officeclicktorun.exe`,
		`"OfficeClickToRun.exe" /service`, "services.exe",
		ms, "Microsoft Office", "16.0.17928.20156", "Microsoft Office Click-to-Run (SxS)",
		1, 11942792, 350000000, 4, 0, 0,
	},
	{
		"TiWorker.exe", `c:\windows\servicing\tiworker.exe`,
		`C:\Windows\winsxs\TiWorker.exe -Embedding`, "svchost.exe",
		ms, winOS, "10.0.19041.4280", "Windows Modules Installer Worker",
		0, 236544, 800000000, 2, 0, 0,
	},
	{
		"TaniumClient.exe", `c:\program files (x86)\tanium\tanium client\taniumclient.exe`,
		`"TaniumClient.exe" --service`, "services.exe",
		"Tanium Inc.", "Tanium Client", "7.4.10.1075", "Tanium Client",
		3, 7854120, 9000000, 3, 0, 0,
	},
	{
		"WmiPrvSE.exe", `c:\windows\system32\wbem\wmiprvse.exe`,
		`C:\Windows\system32\wbem\wmiprvse.exe -Embedding`, "svchost.exe",
		ms, winOS, "10.0.19041.4355", "WMI Provider Host",
		0, 496640, 900000000, 1, 15, 0,
	},
	{
		"chrome.exe", `c:\program files\google\chrome\application\chrome.exe`,
		`"chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService`, "explorer.exe",
		"Google LLC", "Google Chrome", "131.0.6778.86", "Google Chrome",
		2, 3114264, 950000000, 0, 0, 22,
	},
	{
		"msedge.exe", `c:\program files (x86)\microsoft\edge\application\msedge.exe`,
		`"msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService`, "explorer.exe",
		ms, "Microsoft Edge", "131.0.2903.70", "Microsoft Edge",
		1, 4063288, 990000000, 0, 0, 22,
	},
	{
		"firefox.exe", `c:\program files\mozilla firefox\firefox.exe`,
		`"firefox.exe" -contentproc -parentBuildID 20241118130310`, "explorer.exe",
		"Mozilla Corporation", "Firefox", "133.0", "Firefox",
		4, 688512, 200000000, 0, 0, 4,
	},
	{
		"OneDrive.exe", `c:\users\%u\appdata\local\microsoft\onedrive\onedrive.exe`,
		`"OneDrive.exe" /background`, "explorer.exe",
		ms, "Microsoft OneDrive", "24.226.1110.0004", "Microsoft OneDrive",
		1, 3715400, 800000000, 0, 0, 8,
	},
	{
		"ms-teams.exe",
		`c:\program files\windowsapps\msteams_24295.605.3225.8804_x64__8wekyb3d8bbwe\ms-teams.exe`,
		`"ms-teams.exe"`, "explorer.exe",
		ms, "Microsoft Teams", "24295.605.3225.8804", "Microsoft Teams",
		1, 3372392, 500000000, 0, 0, 10,
	},
	{
		"OUTLOOK.EXE", `c:\program files\microsoft office\root\office16\outlook.exe`,
		`"OUTLOOK.EXE" /recycle`, "explorer.exe",
		ms, "Microsoft Outlook", "16.0.17928.20156", "Microsoft Outlook",
		1, 43361672, 450000000, 0, 0, 8,
	},
	{
		"slack.exe", `c:\users\%u\appdata\local\slack\app-4.41.97\slack.exe`,
		`"slack.exe" --type=utility`, "explorer.exe",
		"Slack Technologies, LLC", "Slack", "4.41.97", "Slack",
		5, 168012696, 60000000, 0, 0, 3,
	},
	{
		"Zoom.exe", `c:\users\%u\appdata\roaming\zoom\bin\zoom.exe`,
		`"Zoom.exe"`, "explorer.exe",
		"Zoom Video Communications, Inc.", "Zoom", "6.2.11.54827", "Zoom Meetings",
		6, 421256, 120000000, 0, 0, 3,
	},
	{
		"Code.exe", `c:\users\%u\appdata\local\programs\microsoft vs code\code.exe`,
		`"Code.exe" --type=utility`, "explorer.exe",
		ms, "Visual Studio Code", "1.95.3", "Visual Studio Code",
		1, 163010872, 80000000, 0, 0, 3,
	},
	{
		"powershell.exe", `c:\windows\system32\windowspowershell\v1.0\powershell.exe`,
		`"powershell.exe" -NoProfile`, "explorer.exe",
		ms, winOS, "10.0.19041.3996", "Windows PowerShell",
		0, 455680, 900000000, 1, 0, 2,
	},
	{
		"explorer.exe", `c:\windows\explorer.exe`,
		`C:\Windows\Explorer.EXE`, "userinit.exe",
		ms, winOS, "10.0.19041.4355", "Windows Explorer",
		0, 5582672, 950000000, 0, 0, 2,
	},
	{
		"Spotify.exe", `c:\users\%u\appdata\roaming\spotify\spotify.exe`,
		`"Spotify.exe" --autostart`, "explorer.exe",
		"Spotify AB", "Spotify", "1.2.50.335", "Spotify",
		7, 26470440, 150000000, 0, 0, 2,
	},
	{
		"services.exe", `c:\windows\system32\services.exe`,
		`C:\Windows\system32\services.exe`, "wininit.exe",
		ms, winOS, "10.0.19041.4355", "Services and Controller app",
		0, 708976, 950000000, 0, 0, 0,
	},
	{
		"winlogon.exe", `c:\windows\system32\winlogon.exe`,
		`winlogon.exe`, "smss.exe",
		ms, winOS, "10.0.19041.4355", "Windows Logon Application",
		0, 906240, 950000000, 0, 0, 0,
	},
	{
		"cmd.exe", `c:\windows\system32\cmd.exe`,
		`"C:\Windows\system32\cmd.exe" /c`, "explorer.exe",
		ms, winOS, "10.0.19041.4355", "Windows Command Processor",
		0, 289792, 950000000, 0, 0, 0,
	},
}

// tailNames are user tools of the long tail: rare, some unsigned, run by
// users from their own folders.
var tailNames = [...]string{
	"putty.exe", "WinSCP.exe", "python.exe", "node.exe", "git-remote-https.exe", "AnyDesk.exe",
	"setup_x64.exe", "curl.exe", "obs64.exe", "qbittorrent.exe", "keepassxc.exe", "gh.exe",
	"ffmpeg.exe", "rclone.exe", "vlc.exe", "notepad++.exe", "Postman.exe", "terraform.exe",
}
