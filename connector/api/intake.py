"""Placeholder router (filled in by the next commit)."""

from fastapi import APIRouter

router = APIRouter(tags=["tracker"])
