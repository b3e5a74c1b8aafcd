import json

from bench.common import BenchResult, median_ms, table, write_result


def test_result_file_has_the_agreed_shape(tmp_path):
    result = BenchResult(name="feeds", goal="warm GET 20x faster", ours={"warm_ms": 2.0},
                         naive={"warm_ms": 40.0}, ratio=20.0)
    path = write_result(result, tmp_path)
    data = json.loads(path.read_text())
    assert data == {"name": "feeds", "goal": "warm GET 20x faster", "ratio": 20.0,
                    "ours": {"warm_ms": 2.0}, "naive": {"warm_ms": 40.0}}
    assert "warm_ms" in table(result)
    assert "ratio (times better): 20.00" in table(result)


def test_median_ms_runs_the_action_each_time():
    calls = []
    assert median_ms(lambda: calls.append(1), repeat=3) >= 0
    assert len(calls) == 3
