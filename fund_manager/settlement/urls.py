"""Pages of the usage reports and refund claims (issue 11); each views module lists its own
paths."""

from .views import claims, reports

app_name = "settlement"

urlpatterns = [*reports.urlpatterns, *claims.urlpatterns]
