"""Start the factaid web app on http://127.0.0.1:7860 (same as ``factaid serve``)."""

from factaid.ui import main

if __name__ == "__main__":
    main()
