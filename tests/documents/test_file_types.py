"""Types are told by content; sizes by type; a file cut short is noticed."""

import pytest

from app.documents.file_types import Refused, check_complete, check_type_and_size, sniff
from tests.documents import files

ACCEPTED = [
    (files.pdf(), "application/pdf"),
    (files.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (files.docx(content_types_first=False), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (files.odt(), "application/vnd.oasis.opendocument.text"),
    (files.rtf(), "application/rtf"),
    (files.png(), "image/png"),
    (files.jpeg(), "image/jpeg"),
    (files.heic(), "image/heic"),
    (files.webp(), "image/webp"),
    (files.mp4(), "video/mp4"),
    (files.mov(), "video/quicktime"),
    (files.webm(), "video/webm"),
    (files.text(), "text/plain"),
]


@pytest.mark.parametrize(("data", "content_type"), ACCEPTED, ids=[f"{t}-{n}" for n, (_, t) in enumerate(ACCEPTED)])
def test_it_tells_each_accepted_type_by_its_content(data, content_type):
    assert sniff(data[:4096]) == content_type


@pytest.mark.parametrize("data", [files.html(), files.svg(), b"MZ\x90\x00\x03" + b"\x00" * 100,
                                  b"PK\x03\x04" + b"\x00" * 100, files.xlsx(), b"\x00\x01\x02binary"],
                         ids=["html", "svg", "exe", "zip", "xlsx", "binary"])
def test_it_refuses_other_types_whatever_they_are_called(app, data):
    with pytest.raises(Refused) as refused:
        check_type_and_size(data, len(data))
    assert refused.value.status == 415
    assert ("PDF, Word (.docx), OpenDocument (.odt), RTF, JPEG, PNG, HEIC, WebP, MP4, MOV, WebM or plain text"
            in refused.value.message)


def test_it_refuses_an_empty_file(app):
    with pytest.raises(Refused) as refused:
        check_type_and_size(b"", 0)
    assert refused.value.status == 422
    assert "This file is empty" in refused.value.message


def test_it_allows_videos_more_room_than_documents(app):
    app.config.update(PORCH_DOCUMENT_MAX_BYTES=10_000, PORCH_VIDEO_MAX_BYTES=50_000)
    assert check_type_and_size(files.mp4(), 40_000) == "video/mp4"
    with pytest.raises(Refused) as refused:
        check_type_and_size(files.pdf(), 40_000)
    assert refused.value.status == 413
    assert "the most this portal accepts for a document or photo is 0.01 MB" in refused.value.message


@pytest.mark.parametrize(("data", "content_type"), [a for a in ACCEPTED if a[1] != "text/plain"],
                         ids=[f"{t}-{n}" for n, (_, t) in enumerate(ACCEPTED) if t != "text/plain"])
def test_it_notices_a_file_cut_short(app, data, content_type):
    check_complete(content_type, len(data), lambda at, size: data[at:at + size])
    cut = data[:-7]
    with pytest.raises(Refused) as refused:
        check_complete(content_type, len(cut), lambda at, size: cut[at:at + size])
    assert refused.value.status == 422
    assert "cut short" in refused.value.message
