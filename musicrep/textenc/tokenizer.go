package textenc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Tokenizer is a BERT WordPiece tokenizer configured from a model folder's tokenizer.json and
// sentence_bert_config.json. It reproduces HuggingFace tokenizers' BertNormalizer → BertPreTokenizer → WordPiece →
// TemplateProcessing pipeline, as sentence-transformers calls it (truncation to max_seq_length tokens, specials
// included). It is safe for concurrent use.
type Tokenizer struct {
	vocab        map[string]int32
	unkID        int32
	padID        int32
	prefixIDs    []int32 // post-processor tokens before the text ([CLS])
	suffixIDs    []int32 // and after it ([SEP])
	maxLen       int     // tokens per text, specials included
	maxWordChars int
	subwordPfx   string
	special      []addedToken // matched in the raw text before normalisation, longest first

	cleanText, chineseChars, stripAccents, lowercase bool
	stLowercase                                      bool // sentence-transformers' own do_lower_case
}

type addedToken struct {
	content string
	id      int32
}

// tokenizerJSON is the part of HuggingFace's tokenizer.json that a BERT WordPiece tokenizer uses.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          bool   `json:"clean_text"`
		HandleChineseChars bool   `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          bool   `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	} `json:"post_processor"`
	Model struct {
		Type                    string         `json:"type"`
		UnkToken                string         `json:"unk_token"`
		ContinuingSubwordPrefix string         `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int            `json:"max_input_chars_per_word"`
		Vocab                   map[string]int `json:"vocab"`
	} `json:"model"`
}

// sentenceBertConfig is sentence_bert_config.json.
type sentenceBertConfig struct {
	MaxSeqLength int  `json:"max_seq_length"`
	DoLowerCase  bool `json:"do_lower_case"`
}

// LoadTokenizer reads the tokenizer of a sentence-transformers BERT model folder: tokenizer.json (normaliser,
// vocabulary, special tokens) and sentence_bert_config.json (max_seq_length, do_lower_case).
func LoadTokenizer(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	var tj tokenizerJSON
	if err := readJSON(path, &tj); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("tokenizer %s: %s: this package implements BERT WordPiece tokenizers only",
			path, fmt.Sprintf(format, args...))
	}
	if tj.Model.Type != "WordPiece" {
		return nil, bad("model type %q", tj.Model.Type)
	}
	if tj.Normalizer == nil || tj.Normalizer.Type != "BertNormalizer" {
		return nil, bad("the normalizer is not a BertNormalizer")
	}
	if tj.PreTokenizer == nil || tj.PreTokenizer.Type != "BertPreTokenizer" {
		return nil, bad("the pre_tokenizer is not a BertPreTokenizer")
	}
	t := &Tokenizer{
		vocab:        make(map[string]int32, len(tj.Model.Vocab)),
		maxWordChars: tj.Model.MaxInputCharsPerWord,
		subwordPfx:   tj.Model.ContinuingSubwordPrefix,
		cleanText:    tj.Normalizer.CleanText,
		chineseChars: tj.Normalizer.HandleChineseChars,
		lowercase:    tj.Normalizer.Lowercase,
		stripAccents: tj.Normalizer.Lowercase, // BertNormalizer: strip_accents null means "same as lowercase"
	}
	if tj.Normalizer.StripAccents != nil {
		t.stripAccents = *tj.Normalizer.StripAccents
	}
	if t.maxWordChars <= 0 {
		t.maxWordChars = 100
	}
	for tok, id := range tj.Model.Vocab {
		t.vocab[tok] = int32(id)
	}
	unk, ok := t.vocab[tj.Model.UnkToken]
	if !ok {
		return nil, bad("unk_token %q is not in the vocabulary", tj.Model.UnkToken)
	}
	t.unkID = unk
	t.padID = t.vocab["[PAD]"]
	for _, a := range tj.AddedTokens {
		if a.Normalized || a.SingleWord || a.LStrip || a.RStrip {
			return nil, bad("added token %q uses normalized/single_word/lstrip/rstrip, not supported", a.Content)
		}
		t.special = append(t.special, addedToken{a.Content, int32(a.ID)})
	}
	sort.SliceStable(t.special, func(i, j int) bool { return len(t.special[i].content) > len(t.special[j].content) })

	// Post-processor: [specials…] $A [specials…].
	pp := tj.PostProcessor
	if pp == nil || pp.Type != "TemplateProcessing" {
		return nil, bad("the post_processor is not a TemplateProcessing")
	}
	seenSeq := false
	for _, piece := range pp.Single {
		switch {
		case piece.Sequence != nil:
			if seenSeq {
				return nil, bad("the single-sequence template has two sequences")
			}
			seenSeq = true
		case piece.SpecialToken != nil:
			st, ok := pp.SpecialTokens[piece.SpecialToken.ID]
			if !ok {
				return nil, bad("template token %q has no ids", piece.SpecialToken.ID)
			}
			for _, id := range st.IDs {
				if seenSeq {
					t.suffixIDs = append(t.suffixIDs, int32(id))
				} else {
					t.prefixIDs = append(t.prefixIDs, int32(id))
				}
			}
		}
	}
	if !seenSeq {
		return nil, bad("the single-sequence template has no sequence")
	}

	var sb sentenceBertConfig
	sbPath := filepath.Join(dir, "sentence_bert_config.json")
	if err := readJSON(sbPath, &sb); err != nil {
		return nil, err
	}
	if sb.MaxSeqLength <= len(t.prefixIDs)+len(t.suffixIDs) {
		return nil, fmt.Errorf("%s: max_seq_length %d leaves no room for text", sbPath, sb.MaxSeqLength)
	}
	t.maxLen = sb.MaxSeqLength
	t.stLowercase = sb.DoLowerCase
	return t, nil
}

func readJSON(path string, v any) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading model file: %w (%s)", err, InstallHint)
	}
	if err := json.Unmarshal(buf, v); err != nil {
		return fmt.Errorf("model file %s is malformed: %v (reinstall the model: %s)", path, err, InstallHint)
	}
	return nil
}

// MaxLen returns the largest number of tokens Encode returns (the model's max_seq_length, specials included).
func (t *Tokenizer) MaxLen() int { return t.maxLen }

// VocabSize returns the number of entries in the vocabulary.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// PadID returns the id of the padding token.
func (t *Tokenizer) PadID() int32 { return t.padID }

// Encode returns the token ids of text: the prefix specials ([CLS]), the WordPiece ids of the text truncated to
// MaxLen()-2 tokens, then the suffix specials ([SEP]). The empty string (or one of only whitespace and control
// characters) gives [CLS] [SEP], as in sentence-transformers.
func (t *Tokenizer) Encode(text string) []int32 {
	if t.stLowercase {
		text = strings.ToLower(text)
	}
	room := t.maxLen - len(t.prefixIDs) - len(t.suffixIDs)
	ids := make([]int32, 0, min(room, 64)+len(t.prefixIDs)+len(t.suffixIDs))
	ids = append(ids, t.prefixIDs...)
	body := make([]int32, 0, 64)
	// Special tokens written literally in the text ("[SEP]", "[MASK]"…) are matched before normalisation, as
	// HuggingFace's AddedVocabulary does (leftmost, longest).
	for len(text) > 0 && len(body) < room {
		pos, tok := t.nextSpecial(text)
		body = t.appendWordPieces(body, text[:pos], room)
		if tok == nil {
			break
		}
		if len(body) < room {
			body = append(body, tok.id)
		}
		text = text[pos+len(tok.content):]
	}
	if len(body) > room {
		body = body[:room]
	}
	ids = append(ids, body...)
	return append(ids, t.suffixIDs...)
}

// nextSpecial finds the leftmost special token in text (longest at that position); it returns len(text), nil
// when there is none.
func (t *Tokenizer) nextSpecial(text string) (int, *addedToken) {
	best, bestTok := len(text), (*addedToken)(nil)
	for i := range t.special {
		a := &t.special[i]
		if a.content == "" {
			continue
		}
		if p := strings.Index(text[:min(len(text), best+len(a.content))], a.content); p >= 0 && p < best {
			best, bestTok = p, a
		}
	}
	return best, bestTok
}

// appendWordPieces normalises, pre-tokenises and WordPiece-encodes text, appending ids to out until it holds
// limit ids.
func (t *Tokenizer) appendWordPieces(out []int32, text string, limit int) []int32 {
	if text == "" {
		return out
	}
	for _, word := range t.preTokenize(t.normalize(text)) {
		if len(out) >= limit {
			break
		}
		out = t.wordPiece(out, word)
	}
	return out
}

// normalize applies BertNormalizer: clean text (drop NUL, U+FFFD and control/format/private-use characters, map
// whitespace to ' '), pad CJK ideographs with spaces, strip accents (NFD, drop nonspacing marks), lowercase. The
// character classes and mappings are HuggingFace tokenizers' own (unicode_ref.go), not those of Go's Unicode
// version: unassigned code points are kept (they become [UNK]), as the reference does.
func (t *Tokenizer) normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		if t.cleanText {
			if unicode.Is(refDrop, r) {
				continue
			}
			if unicode.Is(refSpace, r) {
				r = ' '
			}
		}
		if t.chineseChars && isChineseChar(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	if t.stripAccents {
		s = stripAccents(s, &b)
	}
	if t.lowercase {
		b.Reset()
		for _, r := range s {
			if l, ok := refLowerExceptions[r]; ok { // e.g. 'İ' → "i\u0307" (Rust's full mapping), newer letters
				b.WriteString(l)
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		}
		s = b.String()
	}
	return s
}

// stripAccents is BertNormalizer's strip_accents: NFD, then the nonspacing marks (refMn) dropped. The code points
// whose decomposition differs between golang.org/x/text and the reference's unicode-normalization crate take the
// reference's result (refStripExceptions).
func stripAccents(s string, b *strings.Builder) string {
	b.Reset()
	seg := 0
	flush := func(end int) {
		for _, r := range norm.NFD.String(s[seg:end]) {
			if !unicode.Is(refMn, r) {
				b.WriteRune(r)
			}
		}
	}
	for i, r := range s {
		if x, ok := refStripExceptions[r]; ok {
			flush(i)
			b.WriteString(x)
			seg = i + utf8.RuneLen(r)
		}
	}
	flush(len(s))
	return b.String()
}

// preTokenize applies BertPreTokenizer: split on whitespace, and isolate every punctuation character.
func (t *Tokenizer) preTokenize(s string) []string {
	var words []string
	start := -1
	for i, r := range s {
		switch {
		case isWhitespace(r):
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
		case isPunctuation(r):
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			words = append(words, s[i:i+utf8.RuneLen(r)])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// wordPiece appends the greedy longest-match-first WordPiece ids of word: [UNK] if the word is longer than
// max_input_chars_per_word characters or cannot be covered by vocabulary pieces.
func (t *Tokenizer) wordPiece(out []int32, word string) []int32 {
	if utf8.RuneCountInString(word) > t.maxWordChars {
		return append(out, t.unkID)
	}
	mark := len(out)
	for start := 0; start < len(word); {
		end := len(word)
		found := int32(-1)
		for end > start {
			piece := word[start:end]
			if start > 0 {
				piece = t.subwordPfx + piece
			}
			if id, ok := t.vocab[piece]; ok {
				found = id
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if found < 0 {
			return append(out[:mark], t.unkID)
		}
		out = append(out, found)
		start = end
	}
	return out
}

// isWhitespace is Rust's char::is_whitespace (the Unicode White_Space property of Rust's Unicode version), as
// used by HuggingFace tokenizers.
func isWhitespace(r rune) bool { return unicode.Is(refSpace, r) }

// isPunctuation is BERT's punctuation, with the reference's tables: any ASCII punctuation character (including
// symbols such as $ + < = > ^ ` | ~) or a character of the unicode_categories crate's punctuation categories.
func isPunctuation(r rune) bool { return unicode.Is(refPunct, r) }

// isChineseChar reports whether r is a CJK ideograph (the ranges of HuggingFace tokenizers' BertNormalizer).
func isChineseChar(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F, r >= 0x2B740 && r <= 0x2B81F, r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF, r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}
