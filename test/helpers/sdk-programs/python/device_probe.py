"""Drives the unmodified Python device SDK (azure-iot-device) against the test hub.

Each step is one JSON line on stdout: "twin" (the twin it read), "reported" (after a reported
patch), "desired" (each desired patch), "method" (each direct method it answered), "ready" once
its handlers are set. It answers "echo" with {"echo": payload, "sdk": "python"} and stops on "stop".

Environment: EDGEMU_CONNECTION_STRING, EDGEMU_CA_FILE (PEM), EDGEMU_PROXY_PORT (an HTTP CONNECT
proxy on 127.0.0.1 the test runs, since the SDK always dials port 8883).
"""
import json
import os
import sys
import threading

import socks
from azure.iot.device import IoTHubDeviceClient, MethodResponse, ProxyOptions

lock = threading.Lock()


def emit(event, data):
    with lock:
        sys.stdout.write(json.dumps({"event": event, "data": data}) + "\n")
        sys.stdout.flush()


def main():
    with open(os.environ["EDGEMU_CA_FILE"], encoding="utf-8") as f:
        ca = f.read()
    proxy = ProxyOptions(proxy_type=socks.HTTP, proxy_addr="127.0.0.1", proxy_port=int(os.environ["EDGEMU_PROXY_PORT"]))
    client = IoTHubDeviceClient.create_from_connection_string(
        os.environ["EDGEMU_CONNECTION_STRING"], server_verification_cert=ca, proxy_options=proxy, connection_retry=False
    )
    stop = threading.Event()

    def on_method(request):
        emit("method", {"name": request.name, "payload": request.payload})
        if request.name == "stop":
            client.send_method_response(MethodResponse.create_from_method_request(request, 200, None))
            stop.set()
        elif request.name == "echo":
            client.send_method_response(MethodResponse.create_from_method_request(request, 200, {"echo": request.payload, "sdk": "python"}))
        else:
            client.send_method_response(MethodResponse.create_from_method_request(request, 404, {"unknown": request.name}))

    client.connect()
    emit("twin", client.get_twin())
    client.on_method_request_received = on_method
    client.on_twin_desired_properties_patch_received = lambda patch: emit("desired", patch)
    client.patch_twin_reported_properties({"sdk": "python", "firmware": {"version": "2.14", "ok": True}})
    emit("reported", client.get_twin()["reported"])
    emit("ready", {})
    stop.wait()
    client.shutdown()


if __name__ == "__main__":
    main()
