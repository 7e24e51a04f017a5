"""Helpers for the PostgreSQL race tests: start actions together, each on its own connection."""

import threading

from django.db import close_old_connections, connection


def run_at_once(*actions, timeout=60):
    """Run each action in its own thread and connection, released together by a barrier.
    Returns each action's result or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait(timeout=20)
            outcomes[index] = action()
        except Exception as exc:  # the outcome is what the test inspects
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    close_old_connections()
    return outcomes
