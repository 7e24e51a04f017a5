"""The query budget of each start page (issue 13): the same bound holds with 10 and with
10,000 applications (test_start_queries_small.py / _large.py build the two worlds)."""

from django.urls import reverse

# (role in tests.bulk.BulkWorld.users, url name, at most this many queries). Measured on
# 2026-12-06 (10 / 3,000 applications): provider 13 / 13 (the deciding rounds of the listed
# applications read at once), office 15 / 15, steering 5 / 5, finance 20 / 20, auditor 9 / 9.
# The margin covers a round with an agenda (the bulk world's rounds are past), tasks in the
# inbox and a next step that reads a usage report.
PAGES = [
    ("provider", "dashboard:provider", 20),
    ("office", "dashboard:office", 20),
    ("steering", "dashboard:steering", 10),
    ("chair", "dashboard:steering", 10),
    ("finance", "dashboard:finance", 26),
    ("auditor", "dashboard:audit", 12),
]


def check_page(client, world, role, name, limit, django_assert_max_num_queries):
    client.force_login(world.users[role])
    url = reverse(name)
    client.get(url)  # warm up: the session, content types, permissions caches
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response
