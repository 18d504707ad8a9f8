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


class Attachments(Collections):
    """Attachments: add, read, list and delete the files attached to an artifact."""

    def _artifact(self, artifact: Any) -> Persistable | None:
        if isinstance(artifact, Persistable):
            return artifact
        if isinstance(artifact, str) and proto.is_formatted_id(artifact):
            prefix = artifact.rstrip("0123456789").upper()
            entity = self.ARTIFACT_TYPE.get(prefix, "Artifact")
            try:
                found = self.get(entity, fetch=True, query=f'FormattedID = "{artifact}"', project=None,
                                 instance=True)
            except InvalidRallyTypeNameError:
                found = self.get("Artifact", fetch=True, query=f'FormattedID = "{artifact}"',
                                 project=None, instance=True)
            return found if isinstance(found, Persistable) else None
        return None

    def addAttachment(self, artifact: Any, filename: str, mime_type: str = "text/plain", *,
                      content: bytes | None = None) -> Persistable | bool:
        """Attach a file (or ``content`` bytes named ``filename``) to an artifact or TestCaseResult."""
        art = self._artifact(artifact)
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
        for existing in art.Attachments or []:
            if existing.Name == name:
                return existing
        ctx, params = self.contextHelper.resolve({"project": None}, scoping=False)
        blob = self._create("AttachmentContent",
                            {"Content": base64.b64encode(content).decode("ascii")}, ctx, params)
        owner_key = "TestCaseResult" if isinstance(art, TestCaseResult) else "Artifact"
        att = self._create("Attachment", {"Name": name, "Content": blob.ref, "ContentType": mime_type,
                                          "Size": len(content), "User": f"user/{self.user_oid}",
                                          owner_key: art.ref}, ctx, params)
        self._invalidate(art, "Attachments")
        return att

    def addAttachments(self, artifact: Any, attachments: Iterable[Mapping[str, Any]]) -> bool:
        """Attach several files: dicts with ``Name`` and a mime type (``ContentType`` etc.)."""
        ok = True
        for spec in attachments:
            mime = spec.get("mime_type") or spec.get("MimeType") or spec.get("content_type") or \
                spec.get("ContentType") or "text/plain"
            res = self.addAttachment(artifact, spec["Name"], mime, content=spec.get("Content"))
            ok = ok and bool(res)
        return ok

    def _attachment_content(self, att: Persistable) -> bytes:
        content_ref = att.Content
        if isinstance(content_ref, bytes):
            return content_ref
        ref = content_ref.ref if isinstance(content_ref, Persistable) else str(content_ref)
        obj = self._fetch_all_raw(proto.read_request(
            proto.ref_path(ref), context=proto.context_params(self.contextHelper.currentWorkspaceRef(),
                                                              None)))
        raw = obj[0].get("Content", "") if obj else ""
        return base64.b64decode(raw or b"")

    def getAttachment(self, artifact: Any, filename: str) -> Persistable | None | bool:
        """The attachment called ``filename`` with ``.Content`` as bytes (None if absent)."""
        art = self._artifact(artifact)
        if art is None:
            return False
        for att in art.Attachments or []:
            if att.Name == filename:
                att.__dict__["Content"] = self._attachment_content(att)
                return att
        return None

    def getAttachments(self, artifact: Any) -> list[Persistable]:
        """All attachments of an artifact, each with ``.Content`` bytes."""
        art = self._artifact(artifact)
        if art is None:
            return []
        out = []
        for att in art.Attachments or []:
            att.__dict__["Content"] = self._attachment_content(att)
            out.append(att)
        return out

    def getAttachmentNames(self, artifact: Any) -> list[str]:
        """Names of an artifact's attachments."""
        art = self._artifact(artifact)
        return [a.Name for a in (art.Attachments or [])] if art is not None else []

    def deleteAttachment(self, artifact: Any, filename: str) -> Persistable | bool:
        """Delete the attachment called ``filename``; returns the re-read artifact."""
        art = self._artifact(artifact)
        if art is None:
            return False
        att = next((a for a in art.Attachments or [] if a.Name == filename), None)
        if att is None:
            return False
        content = att.__dict__.get("Content")
        if isinstance(content, Persistable):
            self.delete("AttachmentContent", content.oid, project=None)
        self.delete("Attachment", att.oid, project=None)
        self._invalidate(art, "Attachments")
        return self._single(art.ref)
