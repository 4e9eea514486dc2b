package dev.nexttoken.server;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Starts headless Chromium through chromedriver from Debian's {@code chromium} and
 * {@code chromium-driver} packages (never a downloaded browser: the binaries are given, so
 * Selenium Manager is not asked). When they are missing the test fails on CI ({@code CI=true},
 * where {@code .ci/run} installs them) and is skipped elsewhere with a message saying what to
 * install.
 */
final class HeadlessChromium {

    private static final String[] BROWSERS = {"/usr/bin/chromium", "/usr/bin/chromium-browser"};
    private static final String[] DRIVERS = {"/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"};

    private HeadlessChromium() {
    }

    /** A headless Chromium with a tall window, or fails (CI) or skips (elsewhere) when it is not installed. */
    static ChromeDriver start() {
        Path browser = first(BROWSERS);
        Path driver = first(DRIVERS);
        if (browser == null || driver == null) {
            String message = "Chromium or chromedriver is missing (looked for " + String.join(", ", BROWSERS) + " and "
                    + String.join(", ", DRIVERS) + "): apt-get install -y chromium chromium-driver";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message + " (CI must run the browser test; .ci/run installs them)");
            }
            Assumptions.abort(message);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        // --no-sandbox: the tests run as root; /dev/shm is small in containers
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1600", "--force-device-scale-factor=1", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().withLogFile(new File("target/chromedriver.log")).build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        chrome.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return chrome;
    }

    private static Path first(String[] candidates) {
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }
}
