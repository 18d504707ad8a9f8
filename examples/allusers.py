#!/usr/bin/env python
# allusers.py -- list all the users in a specific workspace (pyral 1.1.0 sample code).
#
# The seed's sample, unchanged apart from two repairs of the seed page's text:
# * the "for user in all_users:" block is shown indented one level too deep (an
#   IndentationError in any Python), so it is dedented here;
# * the format string has four conversions for five values (a TypeError in any Python):
#   the fifth one, " %s" for the time zone, is filled in.
# The print call already had parentheses.
#
#   python allusers.py --rallyWorkspace="Product Engineering"

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

all_users = rally.getAllUsers()
for user in all_users:
    tz   = user.UserProfile.TimeZone or 'default'
    role = user.Role or '-No Role-'
    values = (int(user.oid), user.Name, user.UserName, role, tz)
    print("%12.12d %-24.24s %-30.30s %-12.12s %s" % values)   # " %s" filled in
