#!/usr/bin/env python
# gettc.py -- show a TestCase identified by its FormattedID value (pyral 1.1.0 sample code).
#
# The seed's sample, unchanged apart from Python 3 syntax (print function).
# Filled in where the seed page elides code: the body of "if response.errors:"
# (report the errors and exit non-zero).
#
#   python gettc.py TC1184

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

query_criteria = 'FormattedID = "%s"' % args[0]
response = rally.get('TestCase', fetch=True, query=query_criteria)
if response.errors:
    sys.stderr.write("ERROR: %s\n" % "; ".join(response.errors))   # filled in
    sys.exit(1)                                     # filled in
for testCase in response:  # there should only be one qualifying TestCase
    print("%s %s %s %s" % (testCase.Name, testCase.Type,
                           testCase.DefectStatus, testCase.LastVerdict))
