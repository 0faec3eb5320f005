"""Drives the unmodified Python service SDK (azure-iot-hub) against the hub's service API (HTTPS).

Runs the steps named on the command line for device EDGEMU_DEVICE_ID, one JSON line each on
stdout: "device" (get_device), "twin" (get_twin), "updated" (update_twin with a desired patch),
"method" (invoke_device_method "echo"), "c2d" (send_c2d_message over AMQP with system and
application properties, asking for full feedback), "c2d-unknown" (send_c2d_message to a device that
does not exist: the SDK's refusal). An SDK error is a line {"event": "error", ...} and exit 1.

Environment: EDGEMU_CONNECTION_STRING (HostName=<host>[:<port>];SharedAccessKeyName=…;SharedAccessKey=…),
REQUESTS_CA_BUNDLE (the hub CA, read by the SDK's HTTP stack), SSL_CERT_FILE (the hub CA, read by
uamqp's OpenSSL for AMQP), EDGEMU_DEVICE_ID. The SDK's AMQP client (uamqp) ignores a port in
HostName and always dials 5671.
"""
import json
import os
import sys

from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod, Twin, TwinProperties


def emit(event, data):
    sys.stdout.write(json.dumps({"event": event, "data": data}, default=str) + "\n")
    sys.stdout.flush()


def main(steps):
    registry = IoTHubRegistryManager.from_connection_string(os.environ["EDGEMU_CONNECTION_STRING"])
    device_id = os.environ["EDGEMU_DEVICE_ID"]
    for step in steps:
        try:
            if step == "device":
                device = registry.get_device(device_id)
                emit("device", {"deviceId": device.device_id, "status": device.status, "connectionState": device.connection_state})
            elif step == "twin":
                emit("twin", registry.get_twin(device_id).as_dict())
            elif step == "updated":
                twin = registry.get_twin(device_id)
                patch = Twin(properties=TwinProperties(desired={"fromPython": {"interval": 7}}))
                emit("updated", registry.update_twin(device_id, patch, twin.etag).as_dict())
            elif step == "method":
                method = CloudToDeviceMethod(method_name="echo", payload={"from": "python"}, response_timeout_in_seconds=15)
                result = registry.invoke_device_method(device_id, method)
                emit("method", {"status": result.status, "payload": result.payload})
            elif step == "c2d":
                properties = {
                    "messageId": "py-c2d-1",
                    "correlationId": "py-corr-1",
                    "contentType": "application/json",
                    "contentEncoding": "utf-8",
                    "iothub-ack": "full",
                    "origin": "python-sdk",
                }
                registry.send_c2d_message(device_id, json.dumps({"from": "python"}), properties)
                emit("c2d", {"sent": True})
            elif step == "c2d-unknown":
                try:
                    registry.send_c2d_message("no-such-device", "lost", {})
                    emit("c2d-unknown", {"sent": True})
                except Exception as e:  # the refusal is what the step reports
                    emit("c2d-unknown", {"refused": type(e).__name__, "message": str(e)})
            else:
                raise ValueError("unknown step " + step)
        except Exception as e:  # report any SDK error to the test, then stop
            emit("error", {"step": step, "type": type(e).__name__, "message": str(e)})
            sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
