package edgemu;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import com.google.gson.Gson;
import com.google.gson.JsonObject;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.CountDownLatch;

/**
 * Drives the unmodified Java device SDK against the test hub and reports each step as one JSON
 * line on stdout: "twin" (the twin it read), "reported" (after a reported patch), "desired"
 * (each desired patch), "method" (each direct method it answered), "ready" once subscribed.
 * It answers the "echo" method with {"echo": payload, "sdk": "java"} and stops on "stop".
 *
 * Environment: EDGEMU_CONNECTION_STRING, EDGEMU_CA_FILE (PEM). The SDK dials port 8883 of the
 * connection string's host; the test runs this program where that leads to its hub.
 */
public final class DeviceProbe {
    private static final Gson GSON = new Gson();

    private static synchronized void emit(String event, Object data) {
        JsonObject line = new JsonObject();
        line.addProperty("event", event);
        line.add("data", GSON.toJsonTree(data));
        System.out.println(line);
        System.out.flush();
    }

    private static SSLContext trusting(String caFile) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (FileInputStream in = new FileInputStream(caFile)) {
            store.setCertificateEntry("edgemu-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    public static void main(String[] args) {
        try {
            run();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1); // the SDK's threads would keep the JVM alive
        }
    }

    private static void run() throws Exception {
        String connectionString = System.getenv("EDGEMU_CONNECTION_STRING");
        ClientOptions options = ClientOptions.builder()
            .sslContext(trusting(System.getenv("EDGEMU_CA_FILE")))
            .build();
        DeviceClient client = new DeviceClient(connectionString, IotHubClientProtocol.MQTT, options);
        CountDownLatch stop = new CountDownLatch(1);
        client.open(false);

        // The SDK refuses getTwin before the desired subscription (DeviceTwin.getTwinAsync).
        client.subscribeToDesiredProperties((update, context) ->
            emit("desired", GSON.fromJson(update.getDesiredProperties().toJsonElement(), Object.class)), null);
        Twin twin = client.getTwin();
        emit("twin", GSON.fromJson(twin.toJsonElement(), Object.class));


        client.subscribeToMethods((methodName, payload, context) -> {
            Object received = payload == null ? null : GSON.fromJson(payload.getPayloadAsJsonString(), Object.class);
            emit("method", java.util.Map.of("name", methodName, "payload", received == null ? "null" : received));
            if ("stop".equals(methodName)) {
                stop.countDown();
                return new DirectMethodResponse(200, null);
            }
            if (!"echo".equals(methodName)) return new DirectMethodResponse(404, java.util.Map.of("unknown", methodName));
            JsonObject body = new JsonObject();
            body.add("echo", payload == null ? null : payload.getPayloadAsJsonElement());
            body.addProperty("sdk", "java");
            return new DirectMethodResponse(200, body);
        }, null);


        TwinCollection reported = new TwinCollection();
        reported.put("sdk", "java");
        reported.put("firmware", java.util.Map.of("version", "2.5", "ok", true));
        emit("reported", java.util.Map.of("version", client.updateReportedProperties(reported).getVersion()));

        emit("ready", java.util.Map.of());
        stop.await();
        Thread.sleep(200); // let the SDK send the "stop" method response before closing
        client.close();
        System.exit(0);
    }
}
