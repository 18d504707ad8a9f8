"""Issue 9 findings through upstream pyral: FlowState (kanban tools), summaries, custom fields."""

from __future__ import annotations

from _common import Checks, connect, setup

cfg = setup()
data = cfg["data"]
check = Checks()
rally = connect(cfg)


@check
def flow_states_by_name_and_project():
    query = f'((Name = "Completed") AND (Project.Name = "{data["project"]}"))'
    states = list(rally.get("FlowState", fetch="Name,ScheduleStateMapping,OrderIndex,Project", query=query))
    return [(s.Name, s.ScheduleStateMapping, s.OrderIndex, s.Project.Name) for s in states]


@check
def set_flow_state_on_a_story():
    story = rally.get("Story", fetch="FormattedID,ScheduleState,FlowState", query=f'FormattedID = {data["story"]}',
                      instance=True)
    before = (story.ScheduleState, story.FlowState.Name)
    state = rally.get("FlowState", fetch="Name", query=f'((Name = "Completed") AND (Project.Name = "{data["project"]}"))',
                      instance=True)
    rally.update("Story", {"FormattedID": data["story"], "FlowState": state.ref})
    after = rally.get("Story", fetch="ScheduleState,FlowState,FlowStateChangedDate",
                      query=f'FormattedID = {data["story"]}', instance=True)
    return {"before": before, "after": (after.ScheduleState, after.FlowState.Name),
            "changed_date": bool(after.FlowStateChangedDate)}


@check
def new_test_case_last_verdict():
    tc = rally.create("TestCase", {"Name": "fresh"})
    read = rally.get("TestCase", fetch="LastVerdict,LastBuild,Description", query=f"FormattedID = {tc.FormattedID}",
                     instance=True)
    return [read.LastVerdict, read.LastBuild, read.Description]


@check
def create_custom_field():
    typedef = rally.typedef("Defect")
    made = rally.create("AttributeDefinition", {"Name": "Impact Area", "AttributeType": "STRING",
                                                "TypeDefinition": typedef.ref})
    return [made.Name, made.ElementName, made.AttributeType, made.Custom]


@check
def attachment_user_defaults_to_caller():
    """An integration's own create (upstream's addAttachment sends User itself; this one does not)."""
    import base64

    story = rally.get("Story", fetch="FormattedID", query=f'FormattedID = {data["story"]}', instance=True)
    content = rally.create("AttachmentContent", {"Content": base64.b64encode(b"hello").decode()})
    att = rally.create("Attachment", {"Name": "note.txt", "ContentType": "text/plain", "Content": content.ref,
                                      "Artifact": story.ref, "Size": 5})
    read = rally.get("Attachment", fetch="Name,User,UserName", query=f"ObjectID = {att.oid}", instance=True)
    return [read.Name, read.User.UserName if read.User else None]


check.emit()
