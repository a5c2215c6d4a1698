# Example policy over the JSON plan (`reconciler plan --format json --out plan.json`), in the
# layout conftest expects: `conftest test --policy policy/ plan.json` fails on any deny.
#
# The plan comes from a pull request: every string in it was written by whoever opened it.
# Targets are therefore parsed, not searched: a target must be a plain https URL (scheme, host,
# optional port and path; no user info, query, fragment, backslash or space), and its *host* is
# compared — equal to, or a subdomain of, an allowed name. Every auth type that sends a
# credential is covered, not only ApiKey.
package main

import rego.v1

# Credentials may be sent to hosts of these Azure *services* (a resource's own endpoint under
# the service's domain). Not to every Azure domain: under cloudapp.azure.com,
# azurewebsites.net, azurecontainerapps.io, azure-api.net and the like anyone runs a server of
# their own that would log the key. Anyone can also create a resource of these services; to
# allow only your own resources, empty this list and name exact hosts in allowed_hosts.
azure_domains := [
	"openai.azure.com",
	"cognitiveservices.azure.com",
	"services.ai.azure.com",
	"search.windows.net",
	"blob.core.windows.net",
	"dfs.core.windows.net",
	"file.core.windows.net",
	"azurecr.io",
	"vault.azure.net",
	"documents.azure.com",
	"database.windows.net",
	"servicebus.windows.net",
	"openai.azure.cn",
	"cognitiveservices.azure.cn",
]

# Hosts outside Azure that may receive credentials: add yours (exact host names).
allowed_hosts := set()

# Auth types that send no credential to the target.
credential_free := {"None"}

# scheme :// host (labels of letters, digits, '-') [:port] [/path]
target_url := `^https://([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?(/[^?#@\\\s]*)?$`

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

# A new workspace that does not say is public: Azure's default is Enabled.
deny contains msg if {
	some change in writes
	change.kind == "Workspace"
	change.action in {"create", "replace-required"}
	not object.get(object.get(change.after, "properties", {}), "publicNetworkAccess", "") in {"Disabled", "Enabled"}
	msg := sprintf("%s: publicNetworkAccess must be Disabled (Azure's default is Enabled)", [change.address])
}

credentialed contains change if {
	some change in writes
	change.kind == "Connection"
	not change.after.properties.authType in credential_free
}

# A credential goes only to a target that parses as a plain https URL ...
deny contains msg if {
	some change in credentialed
	target := object.get(change.after.properties, "target", "")
	not regex.match(target_url, target)
	msg := concat("", [
		change.address, ": ", auth_type(change),
		" connections need a plain https:// target URL (host, optional port and path only)",
	])
}

# ... on an Azure service (or a host allowed above).
deny contains msg if {
	some change in credentialed
	target := change.after.properties.target
	regex.match(target_url, target)
	host := host_of(target)
	not allowed_host(host)
	msg := concat("", [
		change.address, ": ", auth_type(change),
		" connections may only target Azure services, not ", host,
	])
}

auth_type(change) := object.get(change.after.properties, "authType", "(no authType)")

host_of(target) := lower(regex.find_all_string_submatch_n(target_url, target, 1)[0][1])

allowed_host(host) if host in allowed_hosts

allowed_host(host) if {
	some domain in azure_domains
	host == domain
}

allowed_host(host) if {
	some domain in azure_domains
	endswith(host, concat("", [".", domain]))
}

# A replacement destroys data: never merge one without a human looking.
warn contains msg if {
	some change in input.changes
	change.action == "replace-required"
	msg := sprintf("%s: %s", [change.address, change.reason])
}
