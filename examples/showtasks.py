#!/usr/bin/env python
# showtasks.py -- the "30 second highlight": walk a story's Tasks (pyral 1.1.0 sample code).
#
# The seed's two-line fragment ("for task in story.Tasks: print task.Name") in Python 3
# syntax, wrapped in the seed's common setup code.
# Filled in: fetching the story named by the FormattedID given on the command line
# (the seed says only "a UserStory instance returned by a pyral operation assigned to the
# name story"), with an error exit when there is no such story.
#
#   python showtasks.py US42

import sys
from pyral import Rally, rallyWorkset
options = [arg for arg in sys.argv[1:] if arg.startswith('--')]
args    = [arg for arg in sys.argv[1:] if arg not in options]
server, user, password, apikey, workspace, project = rallyWorkset(options)
rally = Rally(server, user, password, workspace=workspace, project=project)

response = rally.get('UserStory', fetch=True, query='FormattedID = "%s"' % args[0])   # filled in
if response.errors or response.resultCount == 0:                                     # filled in
    sys.stderr.write('ERROR: no UserStory %s\n' % args[0])                           # filled in
    sys.exit(1)                                                                       # filled in
story = response.next()                                                               # filled in

for task in story.Tasks:
    print(task.Name)
