#!/usr/bin/env python
# crdefect.py -- create a new Defect (pyral 1.1.0 sample code).
#
# The seed's sample, unchanged apart from Python 3 syntax (print function,
# "except Exception as details").
# Filled in where the seed page elides code: the line unpacking the command line
# arguments ("name, severity, priority, description = args[:4]"), the "try:" that the
# page's "except" belongs to, and "sys.exit(1)" after the error message (the page goes on
# to print the defect that was never created).
#
#   python crdefect.py <Name> <severity> <priority> <description>

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

name, severity, priority, description = args[:4]   # filled in

proj = rally.getProject()

# get the first (and hopefully only) user whose DisplayName is 'Sally Submitter'
user = rally.getUserInfo(name='Sally Submitter').pop(0)

defect_data = { "Project" : proj.ref, "SubmittedBy" : user.ref,
                "Name" : name, "Severity" : severity, "Priority" : priority,
                "State" : "Open", "ScheduleState" : "Defined",
                "Description" : description }
try:                                                # filled in
    defect = rally.create('Defect', defect_data)
except Exception as details:
    sys.stderr.write('ERROR: %s \n' % details)
    sys.exit(1)                                     # filled in
print("Defect created, ObjectID: %s  FormattedID: %s" % (defect.oid, defect.FormattedID))
