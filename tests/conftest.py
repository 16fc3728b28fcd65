"""Test configuration: hypothesis profiles and a check that the installed fastnn is under test."""
import os

from hypothesis import HealthCheck, settings

# "ci" bounds the examples so the whole suite stays within CI's time budget on 2 cores;
# "dev" explores more. Pick with HYPOTHESIS_PROFILE=dev.
settings.register_profile("ci", max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    import fastnn

    facts = fastnn.info()
    return [f"fastnn {facts['version']} from {os.path.dirname(fastnn.__file__)}",
            f"fastnn isa={facts['isa_active']} openmp={facts['openmp']} threads={facts['num_threads']}"]
