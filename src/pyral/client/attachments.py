"""Attachments: add, read, list and delete the files attached to an artifact."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import protocol as proto
from ..errors import (
    InvalidRallyTypeNameError,
    RallyValidationError,
)
from ..model.entities import (
    Persistable,
    TestCaseResult,
)
from .collections import Collections
from .operation import Op, operation


class Attachments(Collections):
    """Attachments: add, read, list and delete the files attached to an artifact."""

    def _artifact(self, artifact: Any) -> Op[Persistable | None]:
        if isinstance(artifact, Persistable):
            return artifact
        if isinstance(artifact, str) and proto.is_formatted_id(artifact):
            prefix = artifact.rstrip("0123456789").upper()
            entity = self.ARTIFACT_TYPE.get(prefix, "Artifact")
            try:
                found = yield from self._get(entity, fetch=True, query=f'FormattedID = "{artifact}"',
                                             project=None, instance=True)
            except InvalidRallyTypeNameError:
                found = yield from self._get("Artifact", fetch=True, query=f'FormattedID = "{artifact}"',
                                             project=None, instance=True)
            return found if isinstance(found, Persistable) else None
        return None

    def _attachments_of(self, art: Persistable) -> Op[list[Any]]:
        """The artifact's ``Attachments`` collection, loaded if it is not yet."""
        yield from self._load(art, "Attachments")
        return list(art.__dict__.get("Attachments") or [])

    def _add_attachment(self, artifact: Any, filename: str, mime_type: str = "text/plain", *,
                        content: bytes | None = None) -> Op[Persistable | bool]:
        """Attach a file (or ``content`` bytes named ``filename``) to an artifact or TestCaseResult."""
        art = yield from self._artifact(artifact)
        if art is None:
            return False
        if content is None:
            if not os.path.exists(filename):
                raise RallyValidationError(f"Named attachment filename: {filename} not found")
            if not os.path.isfile(filename):
                raise RallyValidationError(f"Named attachment filename: {filename} is not a regular file")
            if os.path.getsize(filename) > self.MAX_ATTACHMENT_SIZE:
                raise RallyValidationError("Attachment file size too large, unable to attach to Rally "
                                           f"Artifact (limit {self.MAX_ATTACHMENT_SIZE} bytes)")
            with open(filename, "rb") as fh:
                content = fh.read()
        if len(content) > self.MAX_ATTACHMENT_SIZE:
            raise RallyValidationError("Attachment file size too large, unable to attach to Rally "
                                       f"Artifact (limit {self.MAX_ATTACHMENT_SIZE} bytes)")
        name = os.path.basename(filename)
        for existing in (yield from self._attachments_of(art)):
            if existing.Name == name:
                found: Persistable = existing
                return found
        ctx, params = yield from self._with_loads(lambda: self.contextHelper.resolve({"project": None},
                                                                                     scoping=False))
        blob = yield from self._create("AttachmentContent",
                                       {"Content": base64.b64encode(content).decode("ascii")}, ctx, params)
        owner_key = "TestCaseResult" if isinstance(art, TestCaseResult) else "Artifact"
        att = yield from self._create("Attachment", {"Name": name, "Content": blob.ref, "ContentType": mime_type,
                                                     "Size": len(content), "User": f"user/{self.user_oid}",
                                                     owner_key: art.ref}, ctx, params)
        self._invalidate(art, "Attachments")
        return att

    addAttachment = operation(_add_attachment)

    def _add_attachments(self, artifact: Any, attachments: Iterable[Mapping[str, Any]]) -> Op[bool]:
        """Attach several files: dicts with ``Name`` and a mime type (``ContentType`` etc.)."""
        ok = True
        for spec in attachments:
            mime = spec.get("mime_type") or spec.get("MimeType") or spec.get("content_type") or \
                spec.get("ContentType") or "text/plain"
            res = yield from self._add_attachment(artifact, spec["Name"], mime, content=spec.get("Content"))
            ok = ok and bool(res)
        return ok

    addAttachments = operation(_add_attachments)

    def _attachment_content(self, att: Persistable) -> Op[bytes]:
        content_ref = att.__dict__.get("Content")
        if isinstance(content_ref, bytes):
            return content_ref
        ref = content_ref.ref if isinstance(content_ref, Persistable) else str(content_ref)
        obj = yield from self._fetch_all_raw(proto.read_request(
            proto.ref_path(ref), context=proto.context_params(self.contextHelper.currentWorkspaceRef(),
                                                              None)))
        raw = obj[0].get("Content", "") if obj else ""
        return base64.b64decode(raw or b"")

    def _get_attachment(self, artifact: Any, filename: str) -> Op[Persistable | None | bool]:
        """The attachment called ``filename`` with ``.Content`` as bytes (None if absent)."""
        art = yield from self._artifact(artifact)
        if art is None:
            return False
        for att in (yield from self._attachments_of(art)):
            if att.Name == filename:
                att.__dict__["Content"] = yield from self._attachment_content(att)
                wanted: Persistable = att
                return wanted
        return None

    getAttachment = operation(_get_attachment)

    def _get_attachments(self, artifact: Any) -> Op[list[Persistable]]:
        """All attachments of an artifact, each with ``.Content`` bytes."""
        art = yield from self._artifact(artifact)
        if art is None:
            return []
        out = []
        for att in (yield from self._attachments_of(art)):
            att.__dict__["Content"] = yield from self._attachment_content(att)
            out.append(att)
        return out

    getAttachments = operation(_get_attachments)

    def _attachment_names(self, artifact: Any) -> Op[list[str]]:
        """Names of an artifact's attachments."""
        art = yield from self._artifact(artifact)
        if art is None:
            return []
        return [a.Name for a in (yield from self._attachments_of(art))]

    getAttachmentNames = operation(_attachment_names)

    def _delete_attachment(self, artifact: Any, filename: str) -> Op[Persistable | bool]:
        """Delete the attachment called ``filename``; returns the re-read artifact."""
        art = yield from self._artifact(artifact)
        if art is None:
            return False
        att = next((a for a in (yield from self._attachments_of(art)) if a.Name == filename), None)
        if att is None:
            return False
        content = att.__dict__.get("Content")
        if isinstance(content, Persistable):
            yield from self._delete("AttachmentContent", content.oid, project=None)
        yield from self._delete("Attachment", att.oid, project=None)
        self._invalidate(art, "Attachments")
        return (yield from self._single(art.ref))

    deleteAttachment = operation(_delete_attachment)
