"""Manifest documents the safety tests share."""

from tests.linked import KEY_VAULT, STORAGE_ACCOUNT

UAI = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ids/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/uai-1"
)
WORKSPACE = f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-real}}
spec:
  identity: {{type: SystemAssigned}}
  tags: {{team: ml}}
  properties:
    friendlyName: Real
    description: first
    keyVault: {KEY_VAULT}
    storageAccount: {STORAGE_ACCOUNT}
"""
AOAI = """apiVersion: reconciler/v1
kind: Connection
metadata: {name: aoai, workspace: ws-real}
spec:
  properties:
    category: AzureOpenAI
    authType: ApiKey
    target: https://one.openai.azure.com/
    credentials: {key: {fromEnv: AOAI_KEY}}
"""
GIT = """apiVersion: reconciler/v1
kind: Connection
metadata: {name: git, workspace: ws-real}
spec: {properties: {category: Git, authType: None, target: "https://git/one"}}
"""
BOTH_IDENTITIES = (
    f"identity: {{type: 'SystemAssigned,UserAssigned', userAssignedIdentities: {{'{UAI}': {{}}}}}}"
)
