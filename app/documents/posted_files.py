"""Form posts that carry a file, staff's and clients' alike: read by our own parser, which seals each file
into storage as it arrives.

Those views are exempt from the global CSRF check (which would read the body first) and call csrf.protect()
right after read_form_with_files().
"""

from flask import request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from app.documents.file_types import megabytes
from app.documents.service import sealing_stream_factory

FORM_OVERHEAD = 64 * 1024 + 20_000 * 4  # the multipart framing, the other fields, a long note


def read_form_with_files(arrived: list, file_limit: int) -> str | None:
    """Read the posted form, sealing its files into storage; a sentence for the client if it is too large."""
    request.max_content_length = file_limit + FORM_OVERHEAD
    request.form_data_parser_class = _parser_sealing_into(arrived)
    try:
        request.form  # noqa: B018 (reading the form reads the body)
    except RequestEntityTooLarge:
        size = request.content_length
        said = f"This file is {megabytes(size)}; " if size else ""
        return f"{said}the most you can send here is {megabytes(file_limit)}. Choose a smaller file."
    return None


def _parser_sealing_into(arrived: list):
    def make(stream_factory=None, **options) -> FormDataParser:
        return FormDataParser(sealing_stream_factory(arrived), **options)

    return make


def chosen_file() -> FileStorage | None:
    chosen = request.files.get("file")
    return chosen if chosen is not None and chosen.filename else None
