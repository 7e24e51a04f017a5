"""Pages of the payments (issue 11); each views module lists its own paths."""

from .views import confirmations, exports, requests

app_name = "payments"

urlpatterns = [*requests.urlpatterns, *exports.urlpatterns, *confirmations.urlpatterns]
