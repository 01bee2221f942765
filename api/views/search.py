"""(stub: being written)"""

from api.views.base import ApiView


class ContactSearchView(ApiView):
    pass
