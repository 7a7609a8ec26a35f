from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "djfast.bench"
    label = "djfast_bench"
    verbose_name = "djfast benchmarks"
