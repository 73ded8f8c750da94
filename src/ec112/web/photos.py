"""Photos a responder takes at the scene, kept with the step she records (usually "selesai").

Only JPEG and PNG, recognised by their first bytes (never by the name or the type the browser claims), at
most ``max_bytes`` (read with the cap: a larger body is cut off, not buffered), stored under
``var_dir/photos/<dispatch id>/<random>.jpg|png``. The upload is the raw image as the request body
(``Content-Type: image/jpeg`` or ``image/png``), so the panel's CSRF header protects it like any JSON call.
A photo is served only to who may see its dispatch: ticket staff, the agency's officers, its responder.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.dispatch import Dispatch
from ec112.domain.errors import Forbidden, InvalidRequest, NotFound
from ec112.services.dispatch import DispatchService
from ec112.web.auth import CurrentUser
from ec112.web.request_body import read_capped
from ec112.web.schemas import ErrorOut

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS_PER_DISPATCH = 20
PHOTO_NAME = r"[0-9a-f]{32}\.(?:jpg|png)"
_NAME = re.compile(PHOTO_NAME)
_MEDIA = {"jpg": "image/jpeg", "png": "image/png"}


def sniff(data: bytes) -> str | None:
    """``"jpg"`` or ``"png"`` from the magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


class PhotoStore:
    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, dispatch_id: int, name: str) -> Path | None:
        """Where a stored photo is, or None (an unknown or malformed name never reaches the file system)."""
        if not _NAME.fullmatch(name):
            return None
        path = self.root / str(dispatch_id) / name
        return path if path.is_file() else None

    async def save(self, dispatch_id: int, data: bytes) -> str:
        kind = sniff(data)
        if kind is None:
            raise InvalidRequest("only JPEG or PNG photos / hanya foto JPEG atau PNG")
        folder = self.root / str(dispatch_id)
        name = f"{secrets.token_hex(16)}.{kind}"
        await asyncio.to_thread(self._write, folder, name, data)
        return name

    @staticmethod
    def _write(folder: Path, name: str, data: bytes) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if sum(1 for p in folder.iterdir() if _NAME.fullmatch(p.name)) >= MAX_PHOTOS_PER_DISPATCH:
            raise InvalidRequest(f"at most {MAX_PHOTOS_PER_DISPATCH} photos per dispatch")
        partial = folder / (name + ".part")
        partial.write_bytes(data)
        os.replace(partial, folder / name)  # a photo is there whole or not at all


class PhotoOut(BaseModel):
    photo: str  # the name to send with the step: POST /api/dispatches/{id}/advance {"photo": …}
    url: str
    bytes: int


def may_see(user: User, d: Dispatch) -> bool:
    return has_permission(user, Permission.VIEW_TICKETS) or d.responder == user.username or (
        user.agency is not None and user.agency == d.agency)


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(ErrorOut(code=code, message=message).model_dump(), status_code=status)


def photos_router(service: DispatchService, photos: PhotoStore) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["dispatch"])
    limit_mb = photos.max_bytes / (1024 * 1024)

    @router.post("/dispatches/{dispatch_id}/photos", status_code=201, response_model=PhotoOut,
                 responses={403: {"model": ErrorOut}, 413: {"model": ErrorOut}, 415: {"model": ErrorOut}})
    async def upload(dispatch_id: int, request: Request, user: CurrentUser) -> Response:
        """The raw JPEG/PNG as the body (at most 5 MB by default), by the dispatch's own responder while it is
        open; then send the returned ``photo`` with the step it belongs to."""
        await service.check_photo_allowed(dispatch_id, user)  # before reading up to 5 MB of someone else's upload
        data = await read_capped(request, photos.max_bytes)
        if data is None:
            return _refusal(413, "too_large", f"photo larger than {limit_mb:g} MB / foto lebih dari {limit_mb:g} MB")
        if sniff(data) is None:
            return _refusal(415, "unsupported_media_type", "only JPEG or PNG photos / hanya foto JPEG atau PNG")
        name = await service.add_photo(dispatch_id, user, data, photos)
        out = PhotoOut(photo=name, url=f"/api/dispatches/{dispatch_id}/photos/{name}", bytes=len(data))
        return JSONResponse(out.model_dump(), status_code=201)

    @router.get("/dispatches/{dispatch_id}/photos/{name}", responses={403: {"model": ErrorOut},
                                                                     404: {"model": ErrorOut}})
    async def show(dispatch_id: int, name: str, user: CurrentUser) -> Response:
        d = await service.get(dispatch_id)
        if not may_see(user, d):
            raise Forbidden("this dispatch belongs to another agency")
        path = photos.path(d.id, name)
        if path is None:
            raise NotFound(f"no photo {name}")
        return FileResponse(path, media_type=_MEDIA[path.suffix[1:]], headers={
            "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})

    return router
