"""Start-up figures: first run on an empty database, a normal start, and the main window
shown with demo data.  python bench/startup.py   (prints numbers; not a test)"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "docs"))

from make_screenshots import _Memory


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    results, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        results.append((time.perf_counter() - start) * 1000)
    return statistics.median(results), value


def main() -> None:
    import keyring

    keyring.set_keyring(_Memory())
    os.environ["ORCHID_HOME"] = tempfile.mkdtemp(prefix="orchid-bench-")
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.app import open_context
    from orchid_desktop.services.demo import load_demo_data
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import MainWindow

    first_ms, context = timed(open_context)
    context.close()
    again_ms, _ = timed(lambda: open_context().close(), repeat=5)
    context = open_context()
    demo_ms, _ = timed(lambda: load_demo_data(context.sessions, context.staff_id))
    make_qapplication()

    def show_window():
        window = MainWindow(context, tray_available=True)
        window.show()
        QApplication.processEvents()
        window.request_quit()
        window.close()

    window_ms, _ = timed(show_window, repeat=5)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"first run (migrate + defaults + templates): {first_ms:8.1f} ms")
    print(f"later start (open_context, median of 5):    {again_ms:8.1f} ms")
    print(f"load demo data (300 leads, 120 contacts):   {demo_ms:8.1f} ms")
    print(f"main window built and shown (median of 5):  {window_ms:8.1f} ms")
    print(f"peak resident memory:                       {rss_mb:8.1f} MB")
    context.close()


if __name__ == "__main__":
    main()
