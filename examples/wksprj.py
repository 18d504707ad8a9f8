#!/usr/bin/env python
# wksprj.py -- list the workspaces and projects of your subscription (pyral 1.1.0 sample code).
#
# The seed's sample, unchanged apart from Python 3 syntax (print function).
# Nothing was elided on the seed page for this one.
#
#   python wksprj.py

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

workspaces = rally.getWorkspaces()
for wksp in workspaces:
    print("%s %s" % (wksp.oid, wksp.Name))
    projects = rally.getProjects(workspace=wksp.Name)
    for proj in projects:
        print("    %12.12s  %s" % (proj.oid, proj.Name))
