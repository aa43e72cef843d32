"""Every job's options are taken only as spelt: argparse's default takes any unambiguous prefix, so
`--dat 2026-12-01` ran daily_user_aggregates. And the launchers' `cannot run` line, the last one Airflow
quotes, carries what argparse found wrong, not only the arguments."""
from __future__ import annotations

import datetime as dt

import pytest
from sparkflow_jobs.__main__ import checked_job
from sparkflow_jobs.jobs import daily_user_aggregates, stream_user_stats, tutorial_baseline_stream

YESTERDAY = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("job", "argv", "error"), [
    # --date is required: without its abbreviation taken for it, it is missing.
    (daily_user_aggregates, ["--dat", YESTERDAY], "the following arguments are required: --date"),
    (stream_user_stats, ["--starting", "latest"], "unrecognized arguments: --starting latest"),
    (stream_user_stats, ["--available"], "unrecognized arguments: --available"),
    (tutorial_baseline_stream, ["--avail"], "unrecognized arguments: --avail"),
    (tutorial_baseline_stream, ["--inter", "1 second"], "unrecognized arguments: --inter 1 second"),
])
def test_an_abbreviated_option_is_refused(job, argv, error, capsys):
    with pytest.raises(SystemExit) as exit_:
        job.parse_args(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"{job.JOB}: error: {error}"


def test_the_launchers_refuse_an_abbreviated_option_before_any_jvm(capsys):
    assert checked_job(["daily_user_aggregates", "--dat", YESTERDAY]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"sparkflow_jobs: cannot run daily_user_aggregates: bad arguments ['--dat', '{YESTERDAY}']: "
        "the following arguments are required: --date")


def test_the_cannot_run_line_carries_argparses_reason(capsys):
    assert checked_job(["daily_user_aggregates", "--date", "1890-01-01"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("sparkflow_jobs: cannot run daily_user_aggregates: bad arguments ['--date', '1890-01-01']: ")
    assert lines[-1].endswith("argument --date: 1890-01-01 is more than 130 years before today "
                              f"(the earliest day is {daily_user_aggregates.earliest_day(dt.datetime.now(dt.UTC).date())})")
    # argparse's usage and error are still printed before it.
    assert any(line.startswith("usage: daily_user_aggregates") for line in lines)
