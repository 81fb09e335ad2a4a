"""Checks the browser stack itself (Chromium, chromedriver, dash_duo, our flags)
with a throwaway app, so a failure here is the plumbing, not Descent Lab."""

from dash import Dash, Input, Output, html


def test_brw001_minimal_dash_app_renders(dash_duo):
    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.Button("Go", id="go", n_clicks=0),
            html.Div("waiting", id="out"),
        ]
    )

    @app.callback(Output("out", "children"), Input("go", "n_clicks"))
    def show_clicks(n_clicks):
        return f"clicked {n_clicks}" if n_clicks else "waiting"

    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#out", "waiting")

    dash_duo.find_element("#go").click()
    dash_duo.wait_for_text_to_equal("#out", "clicked 1")

    user_agent = dash_duo.driver.execute_script("return navigator.userAgent")
    assert "HeadlessChrome" in user_agent  # headless without `pytest --headless`
    assert dash_duo.get_logs() == []
