"""The name and logo heading the admin's and the portal's pages: the processor's (the first, by
id), read from the cache so that a page's queries do not grow by one.

A save or delete of a processor writes the cache afresh in the process that made it. With a
per-process cache (locmem, the default CACHE_URL) other processes see the change within
BRAND_CACHE_SECONDS; a shared cache (CACHE_URL=redis://...) shows it everywhere at once.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse

from apps.processors.logo import logo_content_type, logo_version
from apps.processors.models import Processor

BRAND_CACHE_KEY = "processors:brand:1"
BRAND_CACHE_SECONDS = 300
PRODUCT_NAME = "Records of processing"


@dataclass(frozen=True)
class Brand:
    name: str = PRODUCT_NAME
    logo_name: str = ""

    @property
    def logo_version(self) -> str:
        return logo_version(self.logo_name) if self.logo_name else ""

    @property
    def logo_content_type(self) -> str:
        return logo_content_type(self.logo_name)

    @property
    def logo_url(self) -> str:
        if not self.logo_name:
            return ""
        return reverse("processor_logo", kwargs={"version": self.logo_version})


def brand_of(processor: Processor | None) -> Brand:
    if processor is None:
        return Brand()
    return Brand(name=processor.name, logo_name=processor.logo.name or "")


def brand_refresh() -> Brand:
    """Read the processor again and keep what heads the pages in the cache."""
    brand = brand_of(Processor.objects.order_by("pk").only("name", "logo").first())
    cache.set(BRAND_CACHE_KEY, brand, BRAND_CACHE_SECONDS)
    return brand


def current_brand() -> Brand:
    brand = cache.get(BRAND_CACHE_KEY)
    if not isinstance(brand, Brand):
        brand = brand_refresh()
    return brand


@receiver(post_save, sender=Processor, dispatch_uid="processors.brand.saved")
@receiver(post_delete, sender=Processor, dispatch_uid="processors.brand.deleted")
def _processor_changed(**kwargs) -> None:
    brand_refresh()
