#!/usr/bin/env python
# updefect.py -- update an existing Defect (pyral 1.1.0 sample code).
#
# The seed's sample, unchanged apart from Python 3 syntax (print function,
# "except Exception as details").  "Customer" is a workspace custom field; pyral maps it
# to its WSAPI name "c_Customer".
# Filled in where the seed page elides code: the closing brace of defect_data, the "try:"
# that the page's "except" belongs to, and "sys.exit(1)" after the error message.  The
# page's odd one-space indentation of the first lines is dropped.
#
#   python updefect.py <Defect FormattedID> <customer> <target_date> <notes text...>

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

defectID, customer, target_date, notes = args[:4]
# target_date must be in ISO-8601 format "YYYY-MM-DDThh:mm:ssZ"

defect_data = { "FormattedID" : defectID,
                "Customer"    : customer,
                "TargetDate"  : target_date,
                "Notes"       : notes
              }                                     # filled in
try:                                                # filled in
    defect = rally.update('Defect', defect_data)
except Exception as details:
    sys.stderr.write('ERROR: %s \n' % details)
    sys.exit(1)                                     # filled in

print("Defect %s updated" % defect.FormattedID)
