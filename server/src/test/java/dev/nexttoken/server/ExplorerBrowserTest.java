package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The explorer page in headless Chromium against a running server: typing a prompt and moving the
 * temperature and top-k sliders redraws the distribution (the chart's bars and the table) with
 * exactly what {@code /v1/next} returns for those options, clicking a candidate appends it, "sample" appends the token the seed
 * draws, "generate" streams shaded tokens equal to the completion the same options give. Screenshots go
 * to {@code target/explorer-screenshots/}, and also to the folder named by the system property
 * {@code explorer.screenshots} when given (docs/images for the documentation).
 */
class ExplorerBrowserTest {

    private static final String PROMPT = "The capital of France is";
    private static final int TOP_N = 15;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static TestServer server;
    private static ChromeDriver chrome;

    @BeforeAll
    static void start() {
        chrome = HeadlessChromium.start();
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        if (chrome != null) {
            chrome.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theNotebookComesAlive() throws Exception {
        chrome.get(server.uri("/").toString());
        WebElement prompt = chrome.findElement(By.id("prompt"));
        prompt.clear();
        prompt.sendKeys(PROMPT);
        JsonNode atT1 = expectTable(PROMPT, 1.0, 0);
        saveScreenshot(chrome.findElement(By.cssSelector("section.distribution")), "explorer-distribution-t1.png");

        WebElement temperature = chrome.findElement(By.id("temperature"));
        for (int i = 0; i < 10; i++) {
            temperature.sendKeys(Keys.ARROW_LEFT);                        // 1 - 10 steps of 0.05
        }
        assertEquals("0.5", temperature.getDomProperty("value"));
        JsonNode atHalf = expectTable(PROMPT, 0.5, 0);
        assertNotEquals(atT1.get("candidates").get(0).get("probability").asDouble(),
                atHalf.get("candidates").get(0).get("probability").asDouble(), "the temperature changes the chart");

        WebElement topK = chrome.findElement(By.id("top-k"));
        for (int i = 0; i < 3; i++) {
            topK.sendKeys(Keys.ARROW_RIGHT);
        }
        JsonNode topK3 = expectTable(PROMPT, 0.5, 3);
        assertEquals(TOP_N - 3, chrome.findElements(By.cssSelector("#distribution-table tr.removed")).size(),
                "the candidates top-k removed are greyed");
        saveScreenshot(chrome.findElement(By.cssSelector("section.distribution")),
                "explorer-distribution-t0.5-topk3.png");
        saveScreenshot(chrome.findElement(By.cssSelector("section.compare")), "explorer-temperatures.png");

        // clicking a candidate appends it, and the chart moves on to the next position
        JsonNode second = topK3.get("candidates").get(1);
        chrome.findElements(By.cssSelector("#distribution-table button.token")).get(1).click();
        String afterClick = PROMPT + second.get("token").asText();
        assertEquals(afterClick, prompt.getDomProperty("value"));
        JsonNode next = expectTable(afterClick, 0.5, 3);

        // "sample" appends the token the seed draws, where the page showed u to fall
        assertEquals(next.get("draw").get("u").asText(),
                chrome.findElement(By.id("draw-text")).getDomAttribute("data-u"));
        String chosen = chosenToken(next);
        chrome.findElement(By.id("sample")).click();
        String afterSample = afterClick + chosen;
        assertEquals(afterSample, prompt.getDomProperty("value"));
        assertEquals("1338", chrome.findElement(By.id("seed")).getDomProperty("value"), "the seed moves on");
        expectTable(afterSample, 0.5, 3, 1338);

        // "generate" streams shaded tokens: the same text as the completion with these options
        WebElement maxTokens = chrome.findElement(By.id("max-tokens"));
        maxTokens.clear();
        maxTokens.sendKeys("24");
        chrome.findElement(By.id("generate")).click();
        WebElement generated = chrome.findElement(By.id("generated"));
        new WebDriverWait(chrome, WAIT).until(d -> "done".equals(generated.getDomAttribute("data-state")));
        List<WebElement> tokens = generated.findElements(By.cssSelector(".tok"));
        JsonNode completion = TestServer.json(server.post("/v1/completions", """
                {"prompt": %s, "max_tokens": 24, "temperature": 0.5, "top_k": 3, "seed": 1338}"""
                .formatted(Json.MAPPER.writeValueAsString(afterSample)))).get("choices").get(0);
        assertEquals(completion.get("text").asText(), script(
                "return [...document.querySelectorAll('#generated .tok .text')].map(e => e.textContent).join('')"));
        assertTrue(tokens.size() >= 1 && tokens.size() <= 24, tokens.size() + " tokens");
        for (WebElement token : tokens) {
            double p = Double.parseDouble(token.getDomAttribute("data-probability"));
            assertTrue(p > 0 && p <= 1, "p = " + p);
            assertTrue(token.getCssValue("background-color").startsWith("rgba(230, 126, 34"),
                    token.getCssValue("background-color"));
        }
        saveScreenshot(chrome.findElement(By.cssSelector("section.generation")), "explorer-generated.png");
        new Actions(chrome).moveToElement(tokens.get(0)).perform();
        WebElement alternatives = tokens.get(0).findElement(By.cssSelector(".alts"));
        assertTrue(alternatives.isDisplayed(), "hover shows the alternatives");
        assertTrue(alternatives.getText().contains("%"), alternatives.getText());
        assertEquals("", chrome.findElement(By.id("status")).getText(), "no error shown");
    }

    /** Waits for the table to show the prompt and options, then checks its numbers are /v1/next's. */
    private static JsonNode expectTable(String prompt, double temperature, int topK) throws Exception {
        return expectTable(prompt, temperature, topK, 1337);
    }

    private static JsonNode expectTable(String prompt, double temperature, int topK, long seed) throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode();
        request.put("prompt", prompt).put("temperature", temperature).put("seed", seed);
        if (topK > 0) {
            request.put("top_k", topK);
        }
        WebElement table = chrome.findElement(By.id("distribution-table"));
        new WebDriverWait(chrome, WAIT).withMessage(() -> "the table shows " + table.getDomAttribute("data-request")
                + " (" + table.getDomAttribute("data-state") + "), not " + request + "; status: "
                + chrome.findElement(By.id("status")).getText()).until(d -> {
            String shown = table.getDomAttribute("data-request");
            try {
                return "ready".equals(table.getDomAttribute("data-state")) && shown != null
                        && Json.MAPPER.readTree(shown).equals(ExplorerBrowserTest::sameValue, request);
            } catch (IOException e) {
                throw new AssertionError("data-request is not JSON: " + shown, e);
            }
        });
        request.put("top_n", TOP_N);
        JsonNode expected = TestServer.json(server.post("/v1/next", Json.MAPPER.writeValueAsString(request)));
        JsonNode rows = Json.MAPPER.readTree(script("return JSON.stringify([...document.querySelectorAll("
                + "'#distribution-table tbody tr')].map(tr => ({...tr.dataset})))"));
        JsonNode candidates = expected.get("candidates");
        assertEquals(candidates.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            JsonNode candidate = candidates.get(i);
            assertEquals(candidate.get("id").asText(), row.get("id").asText());
            assertEquals(candidate.get("probability_t1").asDouble(), row.get("probabilityT1").asDouble(), 0.0);
            assertEquals(candidate.get("probability").asDouble(), row.get("probability").asDouble(), 0.0);
            assertEquals(candidate.get("removed_by").isNull() ? "" : candidate.get("removed_by").asText(),
                    row.get("removedBy").asText());
        }
        assertEquals(expected.get("chosen_id").asText(), table.getDomAttribute("data-chosen-id"));
        JsonNode bars = Json.MAPPER.readTree(script("return JSON.stringify(Chart.getChart('distribution-chart')"
                + ".data.datasets.map(d => d.data))"));
        for (int i = 0; i < candidates.size(); i++) {
            assertEquals(candidates.get(i).get("probability_t1").asDouble(), bars.get(0).get(i).asDouble(), 0.0);
            assertEquals(candidates.get(i).get("probability").asDouble(), bars.get(1).get(i).asDouble(), 0.0);
        }
        return expected;
    }

    /** JSON values compared as the page writes them: numbers by value (JavaScript writes 1.0 as 1). */
    private static int sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
    }

    private static String chosenToken(JsonNode next) {
        for (JsonNode candidate : next.get("candidates")) {
            if (candidate.get("chosen").asBoolean()) {
                return candidate.get("token").asText();
            }
        }
        throw new AssertionError("the chosen token is not among the candidates: " + next);
    }

    private static String script(String js) {
        return (String) ((JavascriptExecutor) chrome).executeScript(js);
    }

    private static void saveScreenshot(WebElement element, String name) throws IOException, InterruptedException {
        ((JavascriptExecutor) chrome).executeScript("arguments[0].scrollIntoView({block: 'start'})", element);
        Thread.sleep(400);                                                  // Chart.js' animation ends
        Path shot = element.getScreenshotAs(OutputType.FILE).toPath();
        Path dir = Files.createDirectories(Path.of("target", "explorer-screenshots"));
        Files.copy(shot, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        String docs = System.getProperty("explorer.screenshots");
        if (docs != null) {
            Files.copy(shot, Files.createDirectories(Path.of(docs)).resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
