/* Chinese for the three vendored editors, in one table. The language is the page's own
   (<html lang>, set from the app's current locale); in English nothing is touched.

   - bpmn-js and dmn-js look every UI text up through their `translate` service: `modules`
     replaces it (bpmn-js: additionalModules; dmn-js: the same, once per view).
   - form-js (1.23) has no translation hook: its palette, properties panel and field chrome
     are plain strings. `watch(node)` translates the texts, titles and placeholders that
     form-js renders under `node`, also when it re-renders, and leaves what the designer
     wrote (labels, descriptions, option texts) alone.
   Strings not in the table stay as the library ships them. */
(function () {
  "use strict";

  var ZH = {
    // -- bpmn-js / diagram-js: palette --------------------------------------------------------
    "Activate hand tool": "手形工具（平移画布）",
    "Activate lasso tool": "套索工具（框选）",
    "Activate create/remove space tool": "空间工具（插入/移除空白）",
    "Activate global connect tool": "全局连线工具",
    "Create start event": "创建开始事件",
    "Create end event": "创建结束事件",
    "Create intermediate/boundary event": "创建中间/边界事件",
    "Create gateway": "创建网关",
    "Create task": "创建任务",
    "Create expanded sub-process": "创建展开的子流程",
    "Create data object reference": "创建数据对象引用",
    "Create data store reference": "创建数据存储引用",
    "Create pool/participant": "创建池/参与者",
    "Create group": "创建分组",
    "Search in diagram": "在图中搜索",
    // -- bpmn-js: context pad and popup menus ---------------------------------------------------
    "Append end event": "追加结束事件",
    "Append gateway": "追加网关",
    "Append task": "追加任务",
    "Append intermediate/boundary event": "追加中间/边界事件",
    "Append receive task": "追加接收任务",
    "Append message intermediate catch event": "追加消息中间捕获事件",
    "Append timer intermediate catch event": "追加定时中间捕获事件",
    "Append conditional intermediate catch event": "追加条件中间捕获事件",
    "Append signal intermediate catch event": "追加信号中间捕获事件",
    "Append compensation activity": "追加补偿活动",
    "Append element": "追加元素",
    "Add text annotation": "添加文本注释",
    "Add lane above": "在上方添加泳道",
    "Add lane below": "在下方添加泳道",
    "Divide into two lanes": "拆分为两条泳道",
    "Divide into three lanes": "拆分为三条泳道",
    "Change element": "更改元素类型",
    "Change type": "更改类型",
    "Connect to other element": "连接到其他元素",
    "Connect using association": "用关联连接",
    "Connect using data input association": "用数据输入关联连接",
    "Delete": "删除",
    "Align elements": "对齐元素",
    "Align elements left": "左对齐",
    "Align elements right": "右对齐",
    "Align elements center": "水平居中对齐",
    "Align elements top": "顶端对齐",
    "Align elements bottom": "底端对齐",
    "Align elements middle": "垂直居中对齐",
    "Distribute elements horizontally": "水平均匀分布",
    "Distribute elements vertically": "垂直均匀分布",
    "Open {element}": "打开{element}",
    "Loop": "循环",
    "Parallel multi-instance": "并行多实例",
    "Sequential multi-instance": "顺序多实例",
    "Collection": "集合",
    "Participant multiplicity": "参与者多重性",
    "Toggle non-interrupting": "切换非中断",
    "Search": "搜索",
    "Back": "返回",
    "flow elements must be children of pools/participants": "流程元素必须放在池/参与者之内",
    "Data object must be placed within a pool/participant.": "数据对象必须放在池/参与者之内。",
    // -- bpmn-js: element types (replace and append menus) ------------------------------------
    "Task": "任务",
    "User task": "用户任务",
    "Service task": "服务任务",
    "Script task": "脚本任务",
    "Business rule task": "业务规则任务",
    "Send task": "发送任务",
    "Receive task": "接收任务",
    "Manual task": "手工任务",
    "Call activity": "调用活动",
    "Sub-process": "子流程",
    "Sub-process (collapsed)": "子流程（折叠）",
    "Sub-process (expanded)": "子流程（展开）",
    "Ad-hoc sub-process": "自由子流程",
    "Ad-hoc sub-process (collapsed)": "自由子流程（折叠）",
    "Ad-hoc sub-process (expanded)": "自由子流程（展开）",
    "Event sub-process": "事件子流程",
    "Transaction": "事务",
    "Start event": "开始事件",
    "End event": "结束事件",
    "Intermediate throw event": "中间抛出事件",
    "Boundary event": "边界事件",
    "Message start event": "消息开始事件",
    "Timer start event": "定时开始事件",
    "Conditional start event": "条件开始事件",
    "Signal start event": "信号开始事件",
    "Error start event": "错误开始事件",
    "Escalation start event": "升级开始事件",
    "Compensation start event": "补偿开始事件",
    "Message start event (non-interrupting)": "消息开始事件（非中断）",
    "Timer start event (non-interrupting)": "定时开始事件（非中断）",
    "Conditional start event (non-interrupting)": "条件开始事件（非中断）",
    "Signal start event (non-interrupting)": "信号开始事件（非中断）",
    "Escalation start event (non-interrupting)": "升级开始事件（非中断）",
    "Message intermediate catch event": "消息中间捕获事件",
    "Message intermediate throw event": "消息中间抛出事件",
    "Timer intermediate catch event": "定时中间捕获事件",
    "Escalation intermediate throw event": "升级中间抛出事件",
    "Conditional intermediate catch event": "条件中间捕获事件",
    "Link intermediate catch event": "链接中间捕获事件",
    "Link intermediate throw event": "链接中间抛出事件",
    "Compensation intermediate throw event": "补偿中间抛出事件",
    "Signal intermediate catch event": "信号中间捕获事件",
    "Signal intermediate throw event": "信号中间抛出事件",
    "Message end event": "消息结束事件",
    "Escalation end event": "升级结束事件",
    "Error end event": "错误结束事件",
    "Cancel end event": "取消结束事件",
    "Compensation end event": "补偿结束事件",
    "Signal end event": "信号结束事件",
    "Terminate end event": "终止结束事件",
    "Message boundary event": "消息边界事件",
    "Timer boundary event": "定时边界事件",
    "Escalation boundary event": "升级边界事件",
    "Conditional boundary event": "条件边界事件",
    "Error boundary event": "错误边界事件",
    "Cancel boundary event": "取消边界事件",
    "Signal boundary event": "信号边界事件",
    "Compensation boundary event": "补偿边界事件",
    "Message boundary event (non-interrupting)": "消息边界事件（非中断）",
    "Timer boundary event (non-interrupting)": "定时边界事件（非中断）",
    "Escalation boundary event (non-interrupting)": "升级边界事件（非中断）",
    "Conditional boundary event (non-interrupting)": "条件边界事件（非中断）",
    "Signal boundary event (non-interrupting)": "信号边界事件（非中断）",
    "Exclusive gateway": "排他网关",
    "Parallel gateway": "并行网关",
    "Inclusive gateway": "包容网关",
    "Complex gateway": "复杂网关",
    "Event-based gateway": "事件网关",
    "Event based instantiating Gateway": "事件实例化网关",
    "Parallel Event based instantiating Gateway": "并行事件实例化网关",
    "Sequence flow": "顺序流",
    "Default flow": "默认流",
    "Conditional flow": "条件流",
    "Expanded pool/participant": "展开的池/参与者",
    "Empty pool/participant": "空的池/参与者",
    "Data object reference": "数据对象引用",
    "Data store reference": "数据存储引用",
    // -- dmn-js: DRD --------------------------------------------------------------------------
    "Create decision": "创建决策",
    "Create input data": "创建输入数据",
    "Create knowledge model": "创建业务知识模型",
    "Create knowledge source": "创建知识来源",
    "Append decision": "追加决策",
    "Append input data": "追加输入数据",
    "Append knowledge source": "追加知识来源",
    "Append business knowledge model": "追加业务知识模型",
    "Decision table": "决策表",
    "Literal expression": "字面表达式",
    "Literal Expression": "字面表达式",
    "Empty": "空",
    "DRD": "决策需求图",
    "View DRD": "查看决策需求图",
    // -- dmn-js: decision table ---------------------------------------------------------------
    "Hit policy": "命中策略",
    "Hit policy:": "命中策略：",
    "Unique": "唯一（Unique）",
    "First": "首个（First）",
    "Priority": "优先级（Priority）",
    "Any": "任一（Any）",
    "Collect": "收集（Collect）",
    "Collect (Sum)": "收集（求和）",
    "Collect (Min)": "收集（最小值）",
    "Collect (Max)": "收集（最大值）",
    "Collect (Count)": "收集（计数）",
    "Rule order": "规则顺序（Rule order）",
    "Output order": "输出顺序（Output order）",
    "No overlap is possible and all rules are disjoint. Only a single rule can be matched":
      "规则互不重叠，至多命中一条规则",
    "Rules may overlap. The first matching rule will be chosen": "规则可重叠，取第一条命中的规则",
    "Rules may overlap. The one with the highest priority will be chosen": "规则可重叠，取优先级最高的一条",
    "Rules may overlap. Their output have to match": "规则可重叠，命中规则的输出必须一致",
    "Collects the values of all matching rules": "收集所有命中规则的值",
    "Collects the values of all matching rules and sums up to a single value": "收集所有命中规则的值并求和",
    "Collects the values of all matching rules and uses the lowest value": "收集所有命中规则的值并取最小值",
    "Collects the values of all matching rules and uses the highest value": "收集所有命中规则的值并取最大值",
    "Collects the values of all matching rules and counts the number of them": "收集所有命中规则并计数",
    "Collects the values of all matching rules in rule order": "按规则顺序收集所有命中规则的值",
    "Collects the values of all matching rules in decreasing output priority order":
      "按输出优先级从高到低收集所有命中规则的值",
    "Move Input": "移动输入列",
    "Move Output": "移动输出列",
    "Open decision table": "打开决策表",
    "Open literal expression": "打开字面表达式",
    "When": "当",
    "And": "且",
    "Then": "则",
    "Annotations": "注释",
    "Annotation": "注释",
    "Input": "输入",
    "Output": "输出",
    "Add input": "添加输入",
    "Add output": "添加输出",
    "Add rule": "添加规则",
    "Add rule above": "在上方添加规则",
    "Add rule below": "在下方添加规则",
    "Copy rule": "复制规则",
    "Cut rule": "剪切规则",
    "Paste rule above": "粘贴规则到上方",
    "Paste rule below": "粘贴规则到下方",
    "Remove rule": "删除规则",
    "Move rule": "移动规则",
    "Add input column left": "在左侧添加输入列",
    "Add input column right": "在右侧添加输入列",
    "Add output column left": "在左侧添加输出列",
    "Add output column right": "在右侧添加输出列",
    "Copy input column": "复制输入列",
    "Copy output column": "复制输出列",
    "Cut input column": "剪切输入列",
    "Cut output column": "剪切输出列",
    "Paste input column left": "粘贴输入列到左侧",
    "Paste input column right": "粘贴输入列到右侧",
    "Paste output column left": "粘贴输出列到左侧",
    "Paste output column right": "粘贴输出列到右侧",
    "Remove input column": "删除输入列",
    "Remove output column": "删除输出列",
    "Add cell description": "添加单元格说明",
    "Remove cell description": "删除单元格说明",
    "Change cell expression language": "更改单元格表达式语言",
    "Input label": "输入标签",
    "Input label: ": "输入标签：",
    "Input expression": "输入表达式",
    "Input expression: ": "输入表达式：",
    "Input type": "输入类型",
    "Input values": "输入值",
    "Output label": "输出标签",
    "Output label: ": "输出标签：",
    "Output name": "输出名称",
    "Output name: ": "输出名称：",
    "Output type": "输出类型",
    "Output values": "输出值",
    "Predefined values": "预定义值",
    "Add predefined values": "添加预定义值",
    "Clear predefined values": "清除预定义值",
    "Add values": "添加值",
    "No values": "无值",
    "Values": "值",
    "Value": "值",
    "Type": "类型",
    "Expression": "表达式",
    "Expression language": "表达式语言",
    "Expression language:": "表达式语言：",
    "Expression language: {expressionLanguageLabel}": "表达式语言：{expressionLanguageLabel}",
    "Editing not supported for set expression language": "所设表达式语言不支持在此编辑",
    "Enter expression": "输入表达式",
    "Edit": "编辑",
    "Edit input": "编辑输入",
    "Edit output": "编辑输出",
    "Edit string": "编辑文本",
    "Edit number": "编辑数字",
    "Edit boolean": "编辑布尔值",
    "Edit date": "编辑日期",
    "Edit time": "编辑时间",
    "Edit date and time": "编辑日期时间",
    "Edit duration": "编辑时长",
    "Custom values": "自定义值",
    "Strings must be in double quotes": "文本须加双引号",
    "Match one": "匹配其一",
    "Match none": "都不匹配",
    "Comparison": "比较",
    "Comparison operator": "比较运算符",
    "Range": "区间",
    "Range start operator": "区间起点运算符",
    "Range start value": "区间起点值",
    "Range end operator": "区间终点运算符",
    "Range end value": "区间终点值",
    "Equals": "等于",
    "Less": "小于",
    "Less or equals": "小于等于",
    "Greater": "大于",
    "Greater or equals": "大于等于",
    "Include": "包含",
    "Exclude": "不含",
    "Yes": "是",
    "No": "否",
    "Test type": "测试类型",
    "Set value": "设置值",
    "Resize": "调整大小",
    // -- dmn-js: literal expression and names -------------------------------------------------
    "Decision name": "决策名称",
    "Decision name: ": "决策名称：",
    "Definition ID": "定义 ID",
    "Definition name": "定义名称",
    "Element name": "元素名称",
    "Variable name": "变量名",
    "Variable name:": "变量名：",
    "Variable type": "变量类型",
    "Variable type:": "变量类型：",
    "Literal expression editor": "字面表达式编辑器",
    // -- form-js: palette ---------------------------------------------------------------------
    "Components": "组件",
    "Search components": "搜索组件",
    "Clear content": "清空",
    "No components found.": "未找到组件。",
    "Selection": "选择",
    "Presentation": "展示",
    "Containers": "容器",
    "Action": "操作",
    "Text field": "文本框",
    "Text area": "多行文本",
    "Number": "数字",
    "Datetime": "日期时间",
    "Date time": "日期时间",
    "Checkbox": "复选框",
    "Checkbox group": "复选框组",
    "Radio group": "单选按钮组",
    "Select": "下拉选择",
    "Tag list": "标签列表",
    "Text view": "文本",
    "Text": "文本",
    "HTML view": "HTML",
    "Image view": "图片",
    "Table": "表格",
    "Spacer": "空白",
    "Separator": "分隔线",
    "Group": "分组",
    "Dynamic list": "动态列表",
    "iFrame": "内嵌网页",
    "Button": "按钮",
    "File picker": "文件选择",
    "Document preview": "文档预览",
    "Build your form": "开始设计表单",
    "Drag and drop components here to start designing.": "把组件拖到这里开始设计。",
    "Use the preview window to test your form.": "在右侧预览中试填表单。",
    "Drag and drop components here.": "把组件拖到这里。",
    "Nothing to show.": "没有可显示的内容。",
    "Powered by bpmn.io": "bpmn.io 提供技术支持",
    // -- form-js: properties panel ------------------------------------------------------------
    "Form": "表单",
    "Select a form field to edit its properties.": "选择一个表单字段以编辑其属性。",
    "Multiple form fields are selected. Select a single form field to edit its properties.": "选中了多个字段，请只选择一个字段来编辑其属性。",
    "General": "常规",
    "Condition": "条件",
    "Layout": "布局",
    "Appearance": "外观",
    "Validation": "校验",
    "Constraints": "约束",
    "Serialization": "序列化",
    "Options source": "选项来源",
    "Static options": "固定选项",
    "Dynamic options": "动态选项",
    "Options expression": "选项表达式",
    "Input values key": "输入值键",
    "Custom properties": "自定义属性",
    "Custom": "自定义",
    "Security attributes": "安全属性",
    "Data source": "数据来源",
    "Headers source": "表头来源",
    "Header items": "表头项",
    "Pagination": "分页",
    "Content": "内容",
    "Field label": "字段标签",
    "Field description": "字段说明",
    "Label": "标签",
    "Description": "说明",
    "Key": "键",
    "Path": "路径",
    "Name": "名称",
    "Default value": "默认值",
    "Checked": "勾选",
    "Not checked": "不勾选",
    "Disabled": "禁用",
    "Read only": "只读",
    "Required": "必填",
    "Hide if": "隐藏条件",
    "Deactivate if": "停用条件",
    "Condition under which the field is hidden": "满足时隐藏此字段的条件",
    "Condition under which the field is deactivated": "满足时停用此字段的条件",
    "Binds to a form variable": "绑定到表单变量",
    "Where the child variables of this component are pathed to.": "此组件下子变量所在的路径。",
    "Columns": "列数",
    "Column": "列",
    "Auto": "自动",
    "Prefix": "前缀",
    "Suffix": "后缀",
    "Minimum": "最小值",
    "Maximum": "最大值",
    "Minimum length": "最小长度",
    "Maximum length": "最大长度",
    "Increment": "步长",
    "Decimal digits": "小数位数",
    "Output as string": "输出为文本",
    "Allows arbitrary precision values": "允许任意精度的数值",
    "Validation pattern": "校验规则",
    "Custom regular expression": "自定义正则表达式",
    "Custom error message": "自定义错误提示",
    "Email": "电子邮件",
    "Phone": "电话",
    "Searchable": "可搜索",
    "Subtype": "子类型",
    "Date": "日期",
    "Time": "时间",
    "Date and time": "日期和时间",
    "Date label": "日期标签",
    "Time label": "时间标签",
    "Time format": "时间格式",
    "Time interval": "时间间隔",
    "Use 24h": "24 小时制",
    "Disallow past dates": "不允许过去的日期",
    "Height": "高度",
    "URL": "网址",
    "Image source": "图片地址",
    "Alternative text": "替代文字",
    "Submit": "提交",
    "Reset": "重置",
    "Show outline": "显示边框",
    "Vertical alignment": "垂直对齐",
    "Top": "顶部",
    "Center": "居中",
    "Bottom": "底部",
    "Compute on": "计算时机",
    "Value changes": "值变化时",
    "Form submission": "提交表单时",
    "Repeatable": "可重复",
    "Allow add/delete items": "允许增删条目",
    "Default number of items": "默认条目数",
    "Disable collapse": "禁止折叠",
    "Number of non-collapsing items": "不折叠的条目数",
    "Number of rows per page": "每页行数",
    "Supported file formats": "支持的文件格式",
    "Upload multiple files": "允许上传多个文件",
    "Target value": "目标值",
    "Version tag": "版本标签",
    "Version tag by which this form can be referenced.": "引用此表单时使用的版本标签。",
    "<none>": "（无）",
    "Create": "新建",
    "Create new list item": "新建列表项",
    "Delete item": "删除此项",
    "Toggle list item": "展开/收起列表项",
    "Toggle section": "展开/收起",
    "Section contains an error": "此部分有错误",
    "Section contains edits": "此部分已修改",
    "Open documentation": "打开文档",
    "Open pop-up editor": "在弹出编辑器中打开",
    "Opened in editor": "已在编辑器中打开",
    "Click to set a dynamic value with FEEL expression": "点击改用 FEEL 表达式设置动态值",
    "Click to remove dynamic value with FEEL expression": "点击取消 FEEL 表达式动态值",
    "FEEL expression is mandatory": "此处必须填写 FEEL 表达式",
    "Decrement": "减少",
    "Learn more": "了解更多",
    // -- form-js: field chrome in the editor canvas and the preview ---------------------------
    "Browse": "选择文件",
    "No files selected": "未选择文件",
    "Remove tag": "移除标签",
    "Remove": "移除"
  };

  // Texts that carry a part of their own: [pattern, Chinese with $1 for the part, translated too].
  var PATTERNS = [
    [/^Create an? (.+) element$/, "创建$1"],
    [/^List contains (\d+) items?$/, "共 $1 项"],
    [/^(\d+) files selected$/, "已选 $1 个文件"],
    [/^Remove (.+)$/, "删除$1"]
  ];

  var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  var active = lang.indexOf("zh") === 0;
  var has = Object.prototype.hasOwnProperty;

  /* The `translate` service of diagram-js, bpmn-js and dmn-js: template plus {placeholders}. */
  function translate(template, replacements) {
    replacements = replacements || {};
    var text = active && has.call(ZH, template) ? ZH[template] : template;
    return String(text).replace(/{([^}]+)}/g, function (_, key) {
      return has.call(replacements, key) ? replacements[key] : "{" + key + "}";
    });
  }

  /* A text as it stands in the DOM, surrounding blanks kept, the words looked up; null when it
     stays as it is. Writing a text back unchanged would still be a mutation, observed again:
     an endless loop that keeps the editor from ever finishing loading. */
  function swap(value) {
    var words = value.trim();
    var text = words ? lookup(words) : null;
    return text === null || text === words ? null : value.replace(words, text);
  }

  function lookup(words) {
    if (has.call(ZH, words)) return ZH[words];
    for (var i = 0; i < PATTERNS.length; i++) {
      var match = PATTERNS[i][0].exec(words);
      if (match) return PATTERNS[i][1].replace("$1", has.call(ZH, match[1]) ? ZH[match[1]] : match[1]);
    }
    return null;
  }

  // What the designer wrote, not form-js: never translated, even where it reads like a UI text
  // ("Name" stays "Name"). Above all the editable fields of the properties panel: rewriting their
  // text would change the form itself.
  var AUTHORED = "[contenteditable], .fjs-form-field-label, .fjs-form-field-description, .fjs-form-field-text, " +
                 ".fjs-form-field-html, .fjs-form-field-option, .fjs-form-field-button, .fjs-taglist-tag-label, " +
                 ".fjs-dropdownlist-item, .fjs-table-th, .fjs-table-td, .bio-properties-panel-header-label, " +
                 ".bio-properties-panel-collapsible-entry-header-title";
  var NOT_AUTHORED = ".fjs-filepicker-container"; // its file count is styled as a label
  // Fields whose placeholder, title or alternative text the designer sets.
  var AUTHORED_ATTRIBUTES = ".fjs-input, .fjs-textarea, .fjs-select, .fjs-iframe, .fjs-image";
  var ATTRIBUTES = ["title", "placeholder", "aria-label"];

  function translateTree(root) {
    if (root.nodeType === Node.TEXT_NODE) { translateText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateAttributes(root);
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) translateText(node);
      else translateAttributes(node);
    }
  }

  function authored(element) {
    return !element || Boolean(element.closest(AUTHORED) && !element.closest(NOT_AUTHORED));
  }

  function translateText(node) {
    if (authored(node.parentElement)) return;
    var text = swap(node.data);
    if (text !== null) node.data = text;
  }

  /* An element's own attributes: the properties panel labels its editable fields (aria-label). */
  function translateAttributes(element) {
    if (element.matches(AUTHORED_ATTRIBUTES) || authored(element.parentElement)) return;
    ATTRIBUTES.forEach(function (name) {
      var value = element.getAttribute(name);
      var text = value === null ? null : swap(value);
      if (text !== null) element.setAttribute(name, text);
    });
  }

  /* Keep the texts form-js renders under `root` in Chinese, now and after each re-render. */
  function watch(root) {
    if (!active || !root) return;
    translateTree(root);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "childList") record.addedNodes.forEach(translateTree);
        else if (record.type === "characterData") translateText(record.target);
        else translateAttributes(record.target);
      });
    }).observe(root, { childList: true, subtree: true, characterData: true,
                       attributes: true, attributeFilter: ATTRIBUTES });
  }

  window.DesignerI18n = {
    active: active,
    translate: translate,
    /* For bpmn-js additionalModules and each dmn-js view's additionalModules. */
    modules: active ? [{ translate: ["value", translate] }] : [],
    watch: watch
  };
})();
