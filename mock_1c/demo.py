"""``python -m mock_1c.demo``: start the seeded mock 1C, show a few real requests and answers, exit."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote

import requests
from requests.auth import HTTPBasicAuth


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _show(title: str, method: str, url: str, response: requests.Response, limit: int = 900) -> None:
    print(f"\n=== {title}\n{method} {unquote(url)}\n→ HTTP {response.status_code}")
    text = response.text
    try:
        text = json.dumps(response.json(), ensure_ascii=False, indent=1)
    except ValueError:
        pass
    print(text[:limit] + (" …" if len(text) > limit else ""))


def main() -> int:
    port = _free_port()
    exe = Path(sys.executable).parent / "mock-1c"
    argv = [
        str(exe) if exe.exists() else "mock-1c",
        "serve",
        "--port",
        str(port),
        "--seed",
        "42",
        "--scale",
        "small",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{port}"
    odata = f"{root}/crm/odata/standard.odata"
    auth = HTTPBasicAuth("Интегратор".encode(), b"s3cret")
    try:
        for _ in range(300):
            try:
                requests.get(f"{root}/_mock/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        print(f"mock 1C:CRM at {odata}/ (user Интегратор, password s3cret)")
        u = f"{odata}/{quote('Catalog_Номенклатура')}?$format=json&$select=Ref_Key,Code,Description&$top=3"
        _show("work types", "GET", u, requests.get(u, auth=auth, timeout=10))
        flt = quote("ВидИнтереса eq 'Сервис'", safe="'")
        u = f"{odata}/{quote('Document_CRM_Интерес')}?$format=json&$filter={flt}&$top=2&$inlinecount=allpages"
        u += "&$select=" + quote("Number,Date,Тема,Партнер_Key")
        _show("service interests", "GET", u, requests.get(u, auth=auth, timeout=10))
        r = requests.post(
            f"{root}/_mock/emails",
            json={"from": "buh@client.ru", "subject": "Не проводится документ"},
            timeout=10,
        )
        _show("an e-mail arrives (admin endpoint)", "POST", f"{root}/_mock/emails", r, 500)
        node = requests.get(
            f"{odata}/{quote('ExchangePlan_ТТ_ОбменСТрекером')}?$format=json", auth=auth, timeout=10
        )
        ref = node.json()["value"][0]["Ref_Key"]
        u = f"{odata}/{quote('ExchangePlan_ТТ_ОбменСТрекером')}(guid'{ref}')/SelectChanges?MessageNo=1"
        _show("change feed", "POST", u, requests.post(u, auth=auth, timeout=10))
        u = f"{odata}/{quote('Catalog_Нет')}?$format=json"
        _show("an unknown entity set", "GET", u, requests.get(u, auth=auth, timeout=10))
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
