# Example policy over the JSON plan (`reconciler plan --format json --out plan.json`), in the
# layout conftest expects: `conftest test --policy policy/ plan.json` fails on any deny.
package main

import rego.v1

azure_suffixes := [".azure.com", ".azure.net", ".windows.net", ".azure.cn"]

writes contains change if {
	some change in input.changes
	change.action in {"create", "update", "replace-required"}
}

# Workspaces must not be reachable from the public internet.
deny contains msg if {
	some change in writes
	change.kind == "Workspace"
	change.after.properties.publicNetworkAccess == "Enabled"
	msg := sprintf("%s: publicNetworkAccess must be Disabled", [change.address])
}

# API keys may only be sent to Azure services.
deny contains msg if {
	some change in writes
	change.kind == "Connection"
	change.after.properties.authType == "ApiKey"
	host := lower(split(split(change.after.properties.target, "://")[1], "/")[0])
	not azure_host(host)
	msg := concat("", [change.address, ": ApiKey connections may only target Azure services, not ", host])
}

azure_host(host) if {
	some suffix in azure_suffixes
	endswith(host, suffix)
}

# A replacement destroys data: never merge one without a human looking.
warn contains msg if {
	some change in input.changes
	change.action == "replace-required"
	msg := sprintf("%s: %s", [change.address, change.reason])
}
