"""The certificates benchmark itself, on a small event: it must keep running as the code it
measures changes (make bench is not part of the suite)."""

from bench import certificates


def test_the_benchmark_issues_every_attendee_a_valid_certificate_and_times_the_naive_way(monkeypatch):
    monkeypatch.setattr(certificates, "ATTENDEES", 12)
    monkeypatch.setattr(certificates, "NAIVE_SAMPLE", 2)

    result = certificates.run()

    assert result.ours["certificates_valid"] == 12
    assert result.ours["ms_per_certificate"] > 0 and result.naive["ms_per_certificate"] > 0
    assert result.ratio == result.naive["ms_per_certificate"] / result.ours["ms_per_certificate"]
