"""(stub: being written)"""

from api.views.base import ApiView


class SetMarketingView(ApiView):
    pass


class SetNonMarketingView(ApiView):
    pass


class UsageView(ApiView):
    pass
