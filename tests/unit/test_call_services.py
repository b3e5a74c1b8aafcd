"""Rules of calls that need no database: a call's state, uploads' limits and types, review scores."""

import datetime
import io
import zipfile

import pytest

from incubator import call_services
from incubator.call_services import CallState, Refused
from incubator.models import (
    Application,
    ApplicationStatus,
    Call,
    CallQuestion,
    QuestionKind,
    Review,
    ReviewScore,
    RubricCriterion,
)

NOW = datetime.datetime(2027, 3, 1, 12, 0, tzinfo=datetime.UTC)


def a_call(**values) -> Call:
    return Call(opens_at=values.pop("opens_at", NOW - datetime.timedelta(days=1)),
                closes_at=values.pop("closes_at", NOW + datetime.timedelta(days=1)),
                published=values.pop("published", True), **values)


@pytest.mark.parametrize(("values", "state"), [
    ({"published": False}, CallState.DRAFT),
    ({"opens_at": NOW + datetime.timedelta(seconds=1)}, CallState.UPCOMING),
    ({"opens_at": NOW}, CallState.OPEN),
    ({"closes_at": NOW + datetime.timedelta(seconds=1)}, CallState.OPEN),
    ({"closes_at": NOW}, CallState.CLOSED),
])
def test_a_calls_state_at_a_moment(values, state):
    assert call_services.call_state(a_call(**values), NOW) == state


# --- uploads ----------------------------------------------------------------------------------


def file_question(types: str = "pdf,png,docx", max_file_kb: int = 100) -> CallQuestion:
    return CallQuestion(kind=QuestionKind.FILE, label="Αρχείο", file_types=types, max_file_kb=max_file_kb)


class CountingStream(io.BytesIO):
    """A file part that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_an_oversized_file_is_given_up_soon_after_the_limit():
    stream = CountingStream(b"%PDF-" + b"x" * (5 * 1024 * 1024))

    with pytest.raises(Refused) as refused:
        call_services.read_upload(file_question(max_file_kb=100), "deck.pdf", stream)

    assert refused.value.reason == "too-large"
    assert stream.bytes_read <= 100 * 1024 + call_services.READ_CHUNK_BYTES


@pytest.mark.parametrize(("filename", "data", "content_type"), [
    ("deck.pdf", b"%PDF-1.7 ...", "application/pdf"),
    ("Team Photo.PNG", b"\x89PNG\r\n\x1a\n...", "image/png"),
    ("plan.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_files_of_an_accepted_type_are_read_whole(filename, data, content_type):
    upload = call_services.read_upload(file_question(), filename, io.BytesIO(data))

    assert (upload.filename, upload.content_type, upload.data) == (filename, content_type, data)


@pytest.mark.parametrize(("filename", "data"), [
    ("deck.exe", b"%PDF-1.7"),  # an extension no question may take
    ("deck.jpg", b"\xff\xd8\xff..."),  # one this question does not take
    ("deck.pdf", b"\x89PNG\r\n\x1a\n"),  # a PNG named .pdf
    ("plan.docx", b"PK\x03\x04 not really a zip"),
    ("plan.docx", b"%PDF-1.7"),
    ("deck", b"%PDF-1.7"),
])
def test_files_whose_name_or_content_is_not_an_accepted_type_are_refused(filename, data):
    with pytest.raises(Refused) as refused:
        call_services.read_upload(file_question(), filename, io.BytesIO(data))

    assert refused.value.reason == "wrong-type"


def test_a_path_in_the_filename_is_dropped():
    upload = call_services.read_upload(file_question(), "C:\\Users\\eleni\\deck.pdf", io.BytesIO(b"%PDF-1.7"))

    assert upload.filename == "deck.pdf"


def test_an_empty_file_is_refused():
    with pytest.raises(Refused) as refused:
        call_services.read_upload(file_question(), "deck.pdf", io.BytesIO(b""))

    assert refused.value.reason == "empty"


def test_the_upload_cap_leaves_room_for_the_rest_of_the_form():
    assert call_services.upload_cap_kb({"dimoskopio.max_upload_request_bytes": 1024 * 1024}) == 960
    assert call_services.upload_cap_kb({"dimoskopio.max_upload_request_bytes": 100 * 1024 * 1024}) == \
        call_services.MAX_FILE_KB


def test_the_largest_form_counts_every_file_and_text_answer_at_its_limit():
    call = a_call()
    call.questions = [file_question(max_file_kb=100), file_question(max_file_kb=50),
                      CallQuestion(kind=QuestionKind.TEXT, label="Όνομα", max_length=200)]

    assert call_services.largest_form_bytes(call) == (
        call_services.FORM_OVERHEAD_BYTES + 150 * 1024 + 200 * call_services.TEXT_BYTES_PER_CHARACTER)


# --- scores and decisions ---------------------------------------------------------------------


def test_a_reviews_score_is_the_weighted_mean_of_its_criteria_on_a_0_to_100_scale():
    team = RubricCriterion(id=1, weight=3, min_score=1, max_score=5)
    market = RubricCriterion(id=2, weight=1, min_score=0, max_score=10)
    review = Review(scores=[ReviewScore(criterion_id=1, score=4), ReviewScore(criterion_id=2, score=5)])

    # Team: 3 of 4 steps = 75; market: 50; weighted: (3 × 75 + 1 × 50) / 4.
    assert call_services.review_score(review, [team, market]) == pytest.approx(68.75)
    assert call_services.review_score(Review(scores=[]), [team, market]) is None


@pytest.mark.parametrize(("status", "decision", "refusal"), [
    (ApplicationStatus.DRAFT, ApplicationStatus.ACCEPTED, "draft"),
    (ApplicationStatus.SUBMITTED, ApplicationStatus.WAITLISTED, None),
    (ApplicationStatus.WAITLISTED, ApplicationStatus.ACCEPTED, None),
    (ApplicationStatus.WAITLISTED, ApplicationStatus.WAITLISTED, "already-decided"),
    (ApplicationStatus.ACCEPTED, ApplicationStatus.ACCEPTED, "already-decided"),
    (ApplicationStatus.REJECTED, ApplicationStatus.ACCEPTED, "already-decided"),
])
def test_which_decisions_may_follow_which(status, decision, refusal):
    assert call_services.decision_refusal(Application(status=status), decision) == refusal
