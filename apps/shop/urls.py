from django.urls import path

from . import views

app_name = "shop"
urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product, name="product"),
    path("products/<int:pk>/add/", views.cart_add, name="cart_add"),
    path("cart/", views.cart, name="cart"),
    path("cart/<int:pk>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order, name="order"),
    path("orders/<int:pk>/items/<int:item_pk>/link/", views.download_link, name="download_link"),
]
