"""Start the factaid web app (same as ``factaid serve``): on http://127.0.0.1:7860, or where Gradio's
GRADIO_SERVER_NAME and GRADIO_SERVER_PORT say."""

from factaid.ui import main

if __name__ == "__main__":
    main()
