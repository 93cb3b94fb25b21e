import threading

from django.core.cache import cache

from apps.readers.cache import directory_fragment_key, directory_fragments, directory_version


def test_directory_fragments_miss_while_another_process_builds_waits_for_its_result():
    # given: another process holds the build lock for this fragment and stores it shortly
    params = [("q", "tarot")]
    key = directory_fragment_key(kind="results", params=params, version=directory_version())
    cache.add(f"{key}:building", 1, timeout=5)
    timer = threading.Timer(0.2, lambda: cache.set(key, "<p>built elsewhere</p>", timeout=15))
    timer.start()

    def must_not_build() -> str:
        raise AssertionError("built twice")

    # when
    fragments = directory_fragments(params=params, builders={"results": must_not_build})
    timer.join()
    # then
    assert fragments["results"] == "<p>built elsewhere</p>"


def test_directory_fragments_miss_builds_once_then_serves_from_cache():
    # given
    calls = []

    def build() -> str:
        calls.append(1)
        return "<p>fresh</p>"

    # when
    first = directory_fragments(params=[("page", "2")], builders={"results": build})
    second = directory_fragments(params=[("page", "2")], builders={"results": build})
    # then
    assert first["results"] == second["results"] == "<p>fresh</p>"
    assert calls == [1]
