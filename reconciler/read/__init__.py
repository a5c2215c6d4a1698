"""Reading: what exists in Azure, fetched with as few calls as the API allows.

* :mod:`reconciler.read.live` reads the workspaces and connections the manifests declare;
* :mod:`reconciler.read.livestate` is what it found, plain data handed to the planner;
* :mod:`reconciler.read.playwright` reads the tokens of the Playwright accounts audited.

Reading decides nothing (the planner does) and writes nothing (the applier does).
"""
