"""(stub: being written)"""

from api.views.base import ApiView


class ContactCollectionView(ApiView):
    pass


class ContactDetailView(ApiView):
    pass


class BatchReadView(ApiView):
    pass


class BatchCreateView(ApiView):
    pass


class BatchUpdateView(ApiView):
    pass


class BatchUpsertView(ApiView):
    pass


class BatchArchiveView(ApiView):
    pass
