package dev.nexttoken.examples;

import dev.nexttoken.core.Generator;
import dev.nexttoken.server.NextTokenServer;
import dev.nexttoken.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code nexttoken serve}: the OpenAI-compatible HTTP server ({@link NextTokenServer}) over a
 * model folder or the embedded default model. It prints one line with its address when it
 * accepts requests, then serves until the JVM is asked to stop (Ctrl-C, SIGTERM): a shutdown hook
 * drains the server (new requests get 503, running ones finish), closes the model and ends the
 * process with exit status 0. docs/SERVER.md describes the endpoints.
 */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Serves the model over HTTP: OpenAI's completions API (/v1/completions, /v1/models),"
                    + " /v1/next, /tokenize, /detokenize, /health and /metrics (docs/SERVER.md).",
            "Ctrl-C or SIGTERM drains: new requests get 503, running ones finish, then it exits 0.",
        })
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    DtypeOption dtypeOption;

    @Option(names = "--model", paramLabel = "DIR",
            description = "A Hugging Face GPT-2 folder (config.json and model.safetensors)."
                    + " Without it, the embedded default model.")
    Path model;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for all).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "The port (default: ${DEFAULT-VALUE}; 0 = any free one).")
    int port;

    @Option(names = "--max-concurrent", defaultValue = "8", paramLabel = "N",
            description = "Requests that run at once, decoded together in one batch (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--queue", defaultValue = "16", paramLabel = "N",
            description = "Requests that wait for a free slot (default: ${DEFAULT-VALUE}); beyond that: 429.")
    int queue;

    @Option(names = "--max-tokens-limit", defaultValue = "2048", paramLabel = "N",
            description = "The largest max_tokens a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokensLimit;

    @Option(names = "--max-prompt-tokens", defaultValue = "4096", paramLabel = "N",
            description = "The longest prompt in tokens (default: ${DEFAULT-VALUE}).")
    int maxPromptTokens;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", paramLabel = "N",
            description = "The largest request body in bytes (default: ${DEFAULT-VALUE}); beyond that: 413.")
    long maxBodyBytes;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config;
        try {
            config = ServerConfig.builder().host(host).port(port).maxConcurrent(maxConcurrent).queue(queue)
                    .maxTokensLimit(maxTokensLimit).maxPromptTokens(maxPromptTokens).maxBodyBytes(maxBodyBytes)
                    .modelId(model == null ? "nexttoken-default" : modelName(model)).build();
        } catch (IllegalArgumentException e) {
            throw new BadArgumentException(e.getMessage(), e);
        }
        Generator generator = ModelLoader.load(ModelLoader.resolve(model), spec.commandLine().getErr(), false,
                dtypeOption.format);
        NextTokenServer server = new NextTokenServer(generator, config, true);
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw new BadArgumentException("cannot listen on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
            // a signal ends the JVM with 128+signal; a drained server is a clean exit
            Runtime.getRuntime().halt(ExitCodes.OK);
        }, "nexttoken-serve-drain"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("nexttoken serve: listening on " + server.address() + " (model " + config.modelId() + ")");
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }

    private static String modelName(Path folder) {
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return name == null ? "model" : name.toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
