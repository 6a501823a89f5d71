import pytest

import alfa_notebook as alfa
from alfa_notebook.wire.settings import Secret, resolve_settings


def test_order_argument_then_config_then_env_then_default():
    env = {"ALFA_BASE_URL": "https://env.example", "ALFA_API_KEY": "env-key"}
    assert resolve_settings(env={}).base_url == "https://alfa.boosted.ai"
    assert resolve_settings(env=env).base_url == "https://env.example"
    assert resolve_settings(env=env, configured={"base_url": "https://cfg.example"}).base_url == "https://cfg.example"
    assert (
        resolve_settings(
            env=env, configured={"base_url": "https://cfg.example"}, base_url="https://arg.example"
        ).base_url
        == "https://arg.example"
    )


@pytest.mark.parametrize("name", ["ALFA_API_KEY", "INVESTING_ASSISTANT_API_KEY"])
def test_v1_key_aliases(name):
    assert resolve_settings(env={name: "k"}).api_key == Secret("k")


@pytest.mark.parametrize("name", ["ALFA_BASE_URL", "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL"])
def test_base_url_aliases(name):
    assert resolve_settings(env={name: "https://x.example/"}).base_url == "https://x.example"


def test_v2_uses_access_token_and_its_own_default():
    s = resolve_settings(env={"ALFA_API_VERSION": "V2", "ALFA_ACCESS_TOKEN": "tok", "ALFA_API_KEY": "k"})
    assert (s.api_version, s.api_key, s.base_url) == ("v2", Secret("tok"), "https://sandbox.api.boosted.ai")


def test_pasted_prefix_is_dropped():
    assert resolve_settings(env={}, base_url="http://127.0.0.1:8765/client/v1").base_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "http://alfa.example.com"])
def test_bad_or_insecure_base_url_is_a_typed_error(url):
    with pytest.raises(alfa.ConfigurationError):
        resolve_settings(env={}, base_url=url)


def test_unknown_api_version():
    with pytest.raises(alfa.ConfigurationError, match="v1"):
        resolve_settings(env={}, api_version="v3")


def test_key_never_in_repr_or_str():
    client = alfa.AlfaClient(api_key="sk-very-secret-123", base_url="http://127.0.0.1:9")
    for text in (repr(client), str(client), repr(client.settings), str(client.settings), repr(client.settings.api_key)):
        assert "sk-very-secret-123" not in text


def test_missing_key_says_which_variable(monkeypatch):
    for name in ("ALFA_API_KEY", "INVESTING_ASSISTANT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    client = alfa.AlfaClient(base_url="http://127.0.0.1:9")
    with pytest.raises(alfa.ConfigurationError, match="ALFA_API_KEY"):
        client.threads.list()


def test_key_in_no_log_record_and_no_exception(alfa_emulator, caplog):
    """Everything at debug level, through a whole answer and the error paths."""
    import logging

    secret = alfa_emulator.api_key
    caplog.set_level(logging.DEBUG)
    with alfa.AlfaClient(api_key=secret, base_url=alfa_emulator.base_url) as client:
        answer = client.ask("NVDA")
        texts = [repr(client), repr(answer), str(answer.raw_text)]
        for call in (
            lambda: client.threads.progress("no-such-thread"),
            lambda: client.ask("x", thread_id="no-such-thread"),
        ):
            with pytest.raises(alfa.AlfaError) as info:
                call()
            texts += [str(info.value), repr(info.value), repr(vars(info.value))]
    with alfa.AlfaClient(api_key=secret + "-wrong", base_url=alfa_emulator.base_url) as client:
        with pytest.raises(alfa.AuthenticationError) as info:
            client.threads.list()
        texts += [str(info.value), repr(vars(info.value))]
    assert caplog.records, "debug logging captured nothing"
    texts += [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    assert not [t for t in texts if secret in t]


# -- configuration errors name where the value came from --------------------------------------


def test_an_api_version_from_the_environment_names_the_variable():
    with pytest.raises(alfa.ConfigurationError) as info:
        resolve_settings(env={"ALFA_API_VERSION": "v3"})
    assert str(info.value) == (
        "api_version must be 'v1' or 'v2', not 'v3' (from the environment variable ALFA_API_VERSION)."
    )
    assert (info.value.setting, info.value.source) == ("api_version", "ALFA_API_VERSION")


@pytest.mark.parametrize(
    ("kwargs", "source", "said"),
    [
        ({"env": {"INVESTING_ASSISTANT_BASE_URL": "ftp://x"}}, "INVESTING_ASSISTANT_BASE_URL",
         "from the environment variable INVESTING_ASSISTANT_BASE_URL"),
        ({"env": {}, "configured": {"base_url": "ftp://x"}}, "configuration",
         "from the notebook configuration (%config AlfaMagics)"),
        ({"env": {"ALFA_BASE_URL": "https://fine.example"}, "base_url": "ftp://x"}, "argument",
         "passed as an argument"),
    ],
)  # fmt: skip
def test_a_base_url_error_names_its_source(kwargs, source, said):
    with pytest.raises(alfa.ConfigurationError) as info:
        resolve_settings(**kwargs)
    assert (info.value.setting, info.value.source) == ("base_url", source)
    assert f"not 'ftp://x' ({said})" in str(info.value)


def test_a_configured_api_version_names_the_configuration():
    with pytest.raises(alfa.ConfigurationError, match=r"not 'v9' \(from the notebook configuration"):
        resolve_settings(env={"ALFA_API_VERSION": "v1"}, configured={"api_version": "v9"})


# -- the plain-HTTP guard: only this machine may be spoken to in clear -------------------------


@pytest.mark.parametrize(
    "host",
    ["10.0.0.5", "172.16.0.1", "172.31.255.254", "192.168.1.10", "169.254.10.1", "[fd12:3456::1]", "[fc00::1]",
     "[::ffff:10.0.0.5]", "alfa.internal"],
)  # fmt: skip
def test_plain_http_to_another_machine_is_refused(host):
    with pytest.raises(alfa.ConfigurationError, match="in clear text") as info:
        resolve_settings(env={}, base_url=f"http://{host}:8080")
    assert info.value.setting == "base_url" and info.value.source == "argument"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST", "[::ffff:127.0.0.1]"])
def test_plain_http_to_this_machine_is_allowed(host):
    assert resolve_settings(env={}, base_url=f"http://{host}:8080").base_url == f"http://{host}:8080"


def test_plain_http_to_a_private_address_is_allowed_when_asked_for():
    assert resolve_settings(env={}, base_url="http://10.0.0.5", allow_insecure=True).base_url == "http://10.0.0.5"


def test_each_setting_says_where_it_came_from():
    settings = resolve_settings(
        timeout=5,
        configured={"base_url": "http://localhost:1", "rate_limit": "chat=1/1s"},
        env={"ALFA_API_KEY": "k", "ALFA_BASE_URL": "http://localhost:2", "ALFA_RECORD_MODE": "none"},
    )
    origins = {name: settings.origin(name) for name in ("timeout", "base_url", "rate_limit", "api_key", "record_mode")}
    assert origins == {
        "timeout": "argument",
        "base_url": "%config AlfaMagics.base_url",  # the notebook's configuration before the environment
        "rate_limit": "%config AlfaMagics.rate_limit",
        "api_key": "$ALFA_API_KEY",
        "record_mode": "$ALFA_RECORD_MODE",
    }
    assert settings.origin("api_version") == "default" and settings.origin("cassette") == "default"
