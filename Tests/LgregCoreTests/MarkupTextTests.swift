import LgregCore
import Testing

/// The one escaping function of the site's HTML and the JUnit XML, on a hand-worked string.
@Suite struct MarkupTextTests {
    @Test func htmlEscapesTheFiveCharactersAndKeepsTheRest() {
        #expect(MarkupText.escape("a<b>&\"c'\n\t\u{1}é", xml: false) == "a&lt;b&gt;&amp;&quot;c&#39;\n\t\u{1}é")
    }

    @Test func xmlAlsoKeepsWhitespaceInAttributesAndDropsWhatXMLCannotHold() {
        #expect(
            MarkupText.escape("a<b>&\"c'\n\t\r\u{1}\u{FFFE}é", xml: true)
                == "a&lt;b&gt;&amp;&quot;c&#39;&#10;&#9;&#13;\u{FFFD}\u{FFFD}é")
    }
}
