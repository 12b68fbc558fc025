from ninja import NinjaAPI

api = NinjaAPI(title="Koperasi Digital API", version="1")
